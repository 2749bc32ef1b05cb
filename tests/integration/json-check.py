#!/usr/bin/python3
"""json-check.py SCHEMA DEFINITION FILE: validate the JSON document in FILE
against $defs/DEFINITION of SCHEMA (JSON Schema draft 2020-12). Prints every
violation with its path and exits 1 when there is one."""
import json
import sys

import jsonschema


def main():
    schema_path, definition, doc_path = sys.argv[1:4]
    with open(schema_path) as f:
        schema = json.load(f)
    if definition not in schema["$defs"]:
        print(f"{schema_path}: no definition '{definition}'", file=sys.stderr)
        return 1
    with open(doc_path) as f:
        try:
            doc = json.load(f)
        except json.JSONDecodeError as e:
            print(f"{doc_path}: not one JSON document: {e}", file=sys.stderr)
            return 1
    sub = {k: v for k, v in schema.items() if k != "anyOf"}
    sub["$ref"] = "#/$defs/" + definition
    errors = sorted(jsonschema.Draft202012Validator(sub).iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors:
        path = "/".join(str(p) for p in e.absolute_path) or "(document)"
        print(f"{doc_path}: {definition}: {path}: {e.message}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
