#!/usr/bin/env python3
"""Unit tests of scripts/package.py (run by `make test`): the artifact check on small fake trees,
and the real template's functions against the workspace's binaries, so the check cannot rot
while `make package` itself (minutes of release builds) stays out of CI."""
import pathlib
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import package  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: provided.al2023
    Architectures: [arm64]
    Handler: bootstrap
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  IngestFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ../target/lambda/ingest/
      Environment: { Variables: { TABLE_NAME: !Ref Table } }
  WorkerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ../target/lambda/graph-worker/
      Events:
        Stream: { Type: DynamoDB, Properties: { Stream: !GetAtt Table.StreamArn } }
"""

WEBHOOK = """\
  WebhookFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ../target/lambda/webhook/
"""


def elf(machine=package.EM_AARCH64, kind=3, elf_class=2, data=1):
    """The first bytes of an ELF file, as far as the check reads them."""
    ident = package.ELF_MAGIC + bytes([elf_class, data, 1, 0]) + bytes(8)
    return ident + kind.to_bytes(2, "little") + machine.to_bytes(2, "little") + bytes(44)


class Tree:
    """A repository with infra/template.yaml and target/lambda/ in a temporary directory."""

    def __init__(self, template=TEMPLATE):
        self.dir = tempfile.TemporaryDirectory()
        self.root = pathlib.Path(self.dir.name)
        (self.root / "infra").mkdir()
        self.template = self.root / "infra" / "template.yaml"
        self.template.write_text(template)

    def build(self, binary, content=None, mode=0o755):
        path = self.root / "target" / "lambda" / binary / "bootstrap"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(elf() if content is None else content)
        path.chmod(mode)
        return path

    def problems(self):
        return package.check(self.template)


class ArtifactCheck(unittest.TestCase):
    def tree(self, template=TEMPLATE):
        tree = Tree(template)
        self.addCleanup(tree.dir.cleanup)
        return tree

    def test_binaries_come_from_the_code_uris(self):
        tree = self.tree(TEMPLATE + WEBHOOK)
        self.assertEqual(sorted(b for b, _ in package.functions(tree.template).values()),
                         ["graph-worker", "ingest", "webhook"])

    def test_a_complete_build_passes(self):
        tree = self.tree()
        tree.build("ingest")
        tree.build("graph-worker", elf(kind=2))
        self.assertEqual(tree.problems(), [])

    def test_a_function_added_later_is_checked_without_editing_the_check(self):
        tree = self.tree(TEMPLATE + WEBHOOK)
        tree.build("ingest")
        tree.build("graph-worker")
        self.assertEqual(tree.problems(), ["WebhookFunction: no artifact at target/lambda/webhook/bootstrap (run make package)"])
        tree.build("webhook")
        self.assertEqual(tree.problems(), [])

    def test_an_artifact_no_function_deploys_is_named(self):
        tree = self.tree()
        tree.build("ingest")
        tree.build("graph-worker")
        tree.build("webhook")
        self.assertEqual(tree.problems(), ["target/lambda/webhook is deployed by no function of the template (remove it)"])

    def test_a_wrong_or_broken_binary_is_named(self):
        cases = {
            "x86-64": (elf(machine=62), None, "built for ELF machine 62"),
            "32-bit": (elf(elf_class=1), None, "not a 64-bit little-endian"),
            "big-endian": (elf(data=2), None, "not a 64-bit little-endian"),
            "an object file": (elf(kind=1), None, "not an executable (ELF type 1)"),
            "a script": (b"#!/bin/sh\necho hello, this is no ELF\n", None, "not an ELF file"),
            "empty": (b"", None, "not an ELF file"),
            "no x bit": (elf(), 0o644, "no x bit"),
        }
        for case, (content, mode, why) in cases.items():
            with self.subTest(case):
                tree = self.tree()
                tree.build("ingest", content, mode or 0o755)
                tree.build("graph-worker")
                problems = tree.problems()
                self.assertEqual(len(problems), 1, problems)
                self.assertIn("IngestFunction: target/lambda/ingest/bootstrap", problems[0])
                self.assertIn(why, problems[0])

    def test_runtime_architecture_and_handler_are_the_functions_own_or_the_globals(self):
        template = TEMPLATE.replace("      CodeUri: ../target/lambda/graph-worker/\n",
                                    "      CodeUri: ../target/lambda/graph-worker/\n"
                                    "      Architectures: [x86_64]\n      Handler: main\n")
        tree = self.tree(template)
        tree.build("ingest")
        tree.build("graph-worker")
        self.assertEqual(tree.problems(), [
            "WorkerFunction: Architectures is ['x86_64'], not ['arm64']",
            "WorkerFunction: Handler is 'main', not 'bootstrap'",
        ])
        tree = self.tree(TEMPLATE.replace("    Runtime: provided.al2023\n", ""))
        tree.build("ingest")
        tree.build("graph-worker")
        self.assertEqual(len(tree.problems()), 2, "no runtime at all, for both functions")

    def test_a_code_uri_outside_target_lambda_is_refused(self):
        for uri in ["../functions/ingest/", "../target/release/ingest/", "!Ref Somewhere", "s3://bucket/ingest.zip"]:
            with self.subTest(uri):
                tree = self.tree(TEMPLATE.replace("../target/lambda/ingest/", uri))
                with self.assertRaises(package.Problem):
                    package.functions(tree.template)


class TheRealTemplate(unittest.TestCase):
    def test_every_function_is_a_binary_of_the_workspace_built_from_its_own_package(self):
        template = ROOT / "infra" / "template.yaml"
        declared = package.functions(template)
        self.assertGreaterEqual(len(declared), 4)
        binaries = package.workspace_binaries(ROOT)
        for name, (binary, properties) in declared.items():
            with self.subTest(name):
                self.assertIn(binary, binaries, f"{name}'s CodeUri names no binary of the workspace")
                for field, want in (("Runtime", package.RUNTIME), ("Architectures", package.ARCHITECTURES),
                                    ("Handler", package.HANDLER)):
                    self.assertEqual(properties.get(field), want, field)
        args = package.build_args(template, binaries)
        selected = list(zip(args[::2], args[1::2]))
        self.assertEqual({v for k, v in selected if k == "--bin"}, {b for b, _ in declared.values()})
        self.assertEqual({v for k, v in selected if k == "--package"}, {binaries[b] for b, _ in declared.values()},
                         "only the functions' packages, so no other member's dependencies are built")

    def test_a_code_uri_naming_no_binary_of_the_workspace_is_refused(self):
        tree = Tree(TEMPLATE.replace("graph-worker", "no-such-binary"))
        self.addCleanup(tree.dir.cleanup)
        with self.assertRaisesRegex(package.Problem, "no-such-binary"):
            package.build_args(tree.template, {"ingest": "ingest-function", "graph-worker": "ingest-function"})


if __name__ == "__main__":
    unittest.main()
