#!/usr/bin/env python3
# apischema.py - check one response body against a schema of the OpenAPI
# document (its components.schemas), so that the document cannot drift
# from what ticket-api answers. Usage:
#
#	apischema.py OPENAPI.yaml SCHEMA BODYFILE
#
# Exit 0 when valid; 1 with the first error on stderr.
import json
import sys

import jsonschema
import yaml


def main():
    doc_path, name, body_path = sys.argv[1:4]
    with open(doc_path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    with open(body_path, encoding="utf-8") as f:
        body = json.load(f)
    # OpenAPI 3.1 schemas are JSON Schema 2020-12; the refs point into
    # components, which the root schema carries along.
    validator = jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/" + name, "components": doc["components"]})
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    if errors:
        print("%s: %s at %s" % (name, errors[0].message, list(errors[0].path)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
