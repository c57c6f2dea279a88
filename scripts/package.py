#!/usr/bin/env python3
"""The functions of the SAM template and the Lambda artifacts `make package` builds for them.

    package.py build-args TEMPLATE    cargo's selection of every function's binary, one argument a line
    package.py check TEMPLATE         every function has its artifact, and every artifact a function

Every `AWS::Serverless::Function` names its artifact by `CodeUri: ../target/lambda/<binary>/`
(relative to the template), which `cargo lambda build --lambda-dir target/lambda` fills with an
executable `bootstrap`. `check` reads each one's ELF header (64-bit little-endian aarch64, an
executable), the function's runtime, architecture and handler (its own or the template's
Globals), and fails on an artifact directory no function deploys. Nothing here names a
function: one added to the template is built and checked as it is.
"""
import json
import pathlib
import stat
import subprocess
import sys

import yaml

RUNTIME = "provided.al2023"
ARCHITECTURES = ["arm64"]
HANDLER = "bootstrap"
# ELF: the magic, class 2 (64-bit), data 1 (little-endian); e_type (offset 16) EXEC or DYN (a
# position-independent executable); e_machine (offset 18) 183, EM_AARCH64.
ELF_MAGIC = b"\x7fELF"
ELF_EXECUTABLE_TYPES = (2, 3)
EM_AARCH64 = 183


class Template(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags (`!Ref`, `!GetAtt`, `!If`, ...) as plain values."""


Template.add_multi_constructor("!", lambda loader, suffix, node: (
    loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode)
    else loader.construct_sequence(node) if isinstance(node, yaml.SequenceNode)
    else loader.construct_mapping(node)))


class Problem(Exception):
    """What is wrong with the template or the artifacts, said for the person who runs the build."""


def functions(template_path):
    """{logical id: (binary, the function's resolved properties)} of every function in the template."""
    template_path = pathlib.Path(template_path)
    template = yaml.load(template_path.read_text(), Loader=Template)
    defaults = (template.get("Globals") or {}).get("Function") or {}
    lambda_dir = (template_path.parent.parent / "target" / "lambda").resolve()
    found = {}
    for name, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = {**defaults, **(resource.get("Properties") or {})}
        code_uri = properties.get("CodeUri")
        if not isinstance(code_uri, str):
            raise Problem(f"{name}: CodeUri must be a path to target/lambda/<binary>/, not {code_uri!r}")
        directory = (template_path.parent / code_uri).resolve()
        if directory.parent != lambda_dir:
            raise Problem(f"{name}: CodeUri {code_uri} is not a directory of target/lambda/ (relative to the template)")
        found[name] = (directory.name, properties)
    if not found:
        raise Problem(f"{template_path} declares no AWS::Serverless::Function")
    return found


def workspace_binaries(root):
    """{binary: package} of every binary target in the Cargo workspace at `root`."""
    metadata = json.loads(subprocess.run(
        ["cargo", "metadata", "--no-deps", "--format-version", "1"],
        cwd=root, check=True, capture_output=True, text=True).stdout)
    return {target["name"]: package["name"]
            for package in metadata["packages"] for target in package["targets"] if "bin" in target["kind"]}


def build_args(template_path, binaries):
    """`--package P --bin B` for every function's binary, given the workspace's {binary: package}:
    only the functions' packages are selected (a bare `--bin` has cargo build the dependencies
    of every workspace member)."""
    wanted = sorted({binary for binary, _ in functions(template_path).values()})
    unknown = [binary for binary in wanted if binary not in binaries]
    if unknown:
        raise Problem(f"the template's CodeUris name {unknown}, which no package of the workspace builds")
    packages = sorted({binaries[binary] for binary in wanted})
    return [arg for p in packages for arg in ("--package", p)] + [arg for b in wanted for arg in ("--bin", b)]


def elf_problem(path):
    """Why `path` is not an executable for aarch64 Linux, or None."""
    try:
        header = path.read_bytes()[:20]
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if len(header) < 20 or not header.startswith(ELF_MAGIC):
        return "is not an ELF file"
    if header[4] != 2 or header[5] != 1:
        return "is not a 64-bit little-endian ELF file"
    kind = int.from_bytes(header[16:18], "little")
    machine = int.from_bytes(header[18:20], "little")
    if machine != EM_AARCH64:
        return f"is built for ELF machine {machine}, not aarch64 ({EM_AARCH64}): build with --arm64"
    if kind not in ELF_EXECUTABLE_TYPES:
        return f"is not an executable (ELF type {kind})"
    if not path.stat().st_mode & stat.S_IXUSR:
        return "is not executable (no x bit)"
    return None


def check(template_path):
    """Every problem of the built artifacts against the template; empty when they agree."""
    template_path = pathlib.Path(template_path)
    lambda_dir = template_path.parent.parent / "target" / "lambda"
    problems = []
    declared = functions(template_path)
    for name, (binary, properties) in sorted(declared.items()):
        for field, want in (("Runtime", RUNTIME), ("Architectures", ARCHITECTURES), ("Handler", HANDLER)):
            if properties.get(field) != want:
                problems.append(f"{name}: {field} is {properties.get(field)!r}, not {want!r}")
        bootstrap = lambda_dir / binary / "bootstrap"
        if not bootstrap.exists():
            problems.append(f"{name}: no artifact at target/lambda/{binary}/bootstrap (run make package)")
        elif why := elf_problem(bootstrap):
            problems.append(f"{name}: target/lambda/{binary}/bootstrap {why}")
    wanted = {binary for binary, _ in declared.values()}
    if lambda_dir.is_dir():
        for leftover in sorted(p.name for p in lambda_dir.iterdir() if p.name not in wanted):
            problems.append(f"target/lambda/{leftover} is deployed by no function of the template (remove it)")
    return problems


def main(argv):
    if len(argv) != 3 or argv[1] not in ("build-args", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        if argv[1] == "build-args":
            root = pathlib.Path(argv[2]).resolve().parent.parent
            print("\n".join(build_args(argv[2], workspace_binaries(root))))
            return 0
        problems = check(argv[2])
    except Problem as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    count = len(functions(argv[2]))
    print(f"artifacts: each of the template's {count} functions has its arm64 bootstrap, and nothing else is built")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
