#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Checks Firecracker API requests and answers against Firecracker's own API description (Swagger
# 2.0, tests/data/firecracker/firecracker.yaml) with python3-jsonschema, a third-party validator.
# The schema is found from the method and path, as Firecracker's router finds it, so a body sent
# to the wrong endpoint is refused too.
#
#   fc-schema.py SPEC < LINES
#
# Each input line is one of
#   request METHOD PATH BODY
#   response METHOD PATH STATUS BODY
# and gets one output line, in order:
#   ok DEFINITION
#   invalid DEFINITION MESSAGE        the body breaks the schema
#   unknown MESSAGE                   no such endpoint, or no schema for this body
import json
import re
import sys

import jsonschema
import yaml


def endpoint(spec, method, path):
    paths = spec["paths"]
    found = paths.get(path)
    if found is None:
        for template, ops in paths.items():
            if re.fullmatch(re.sub(r"\{[^}/]+\}", "[^/]+", template), path):
                found = ops
                break
    if found is None:
        raise LookupError(f"no endpoint {path} in the API description")
    op = found.get(method.lower())
    if op is None:
        raise LookupError(f"{method} {path} is not in the API description")
    return op


def request_schema(spec, method, path):
    for p in endpoint(spec, method, path).get("parameters", []):
        if p.get("in") == "body":
            return p["schema"]
    raise LookupError(f"{method} {path} takes no body")


def response_schema(spec, method, path, status):
    responses = endpoint(spec, method, path)["responses"]
    r = responses.get(int(status), responses.get(str(status), responses.get("default")))
    if r is None or "schema" not in r:
        raise LookupError(f"{method} {path} has no schema for status {status}")
    return r["schema"]


def check(spec, line):
    kind, rest = line.split(" ", 1)
    if kind == "request":
        method, path, body = rest.split(" ", 2)
        schema = request_schema(spec, method, path)
    elif kind == "response":
        method, path, status, body = rest.split(" ", 3)
        schema = response_schema(spec, method, path, status)
    else:
        raise LookupError(f"cannot read '{line}'")
    name = schema.get("$ref", "#/inline").rsplit("/", 1)[1]
    try:
        doc = json.loads(body)
    except ValueError as e:
        return f"invalid {name} not JSON: {e}"
    try:
        jsonschema.Draft4Validator(dict(schema, definitions=spec["definitions"])).validate(doc)
    except jsonschema.ValidationError as e:
        return f"invalid {name} {e.message}"
    return f"ok {name}"


def main():
    spec = yaml.safe_load(open(sys.argv[1]))
    for line in sys.stdin:
        line = line.rstrip("\n")
        try:
            print(check(spec, line))
        except (LookupError, ValueError) as e:
            print(f"unknown {e}")


main()
