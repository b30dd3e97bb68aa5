"""A JSON Schema subset validator (type, required, properties, items, enum,
additionalProperties), standard library only.  The schema is taken from the
```json-schema block of a markdown document, so the doc is what is tested."""
import json, re, sys

def from_markdown(path, name):
    text = open(path).read()
    m = re.search(r"```json-schema " + re.escape(name) + r"\n(.*?)```", text, re.S)
    if not m:
        raise SystemExit(f"no json-schema block '{name}' in {path}")
    return json.loads(m.group(1))

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}

def _is(value, t):
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, TYPES[t])

def validate(value, schema, defs, path="$"):
    if "$ref" in schema:
        schema = defs[schema["$ref"].split("/")[-1]]
    errs = []
    t = schema.get("type")
    if t:
        ts = t if isinstance(t, list) else [t]
        if not any(_is(value, x) for x in ts):
            return [f"{path}: expected {t}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        errs.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        for k in schema.get("required", []):
            if k not in value:
                errs.append(f"{path}: missing '{k}'")
        props = schema.get("properties", {})
        for k, v in value.items():
            if k in props:
                errs += validate(v, props[k], defs, f"{path}.{k}")
            elif schema.get("additionalProperties") is False:
                errs.append(f"{path}: unexpected '{k}'")
            elif isinstance(schema.get("additionalProperties"), dict):
                errs += validate(v, schema["additionalProperties"], defs, f"{path}.{k}")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            errs += validate(v, schema["items"], defs, f"{path}[{i}]")
    return errs

if __name__ == "__main__":
    doc, name, data = sys.argv[1], sys.argv[2], sys.argv[3]
    schema = from_markdown(doc, name)
    errs = validate(json.load(open(data)), schema, schema.get("definitions", {}))
    for e in errs[:20]:
        print(e)
    sys.exit(1 if errs else 0)
