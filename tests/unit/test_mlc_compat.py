"""tools/mlc/mlc_compat.py: every patch applies to the vendored mlc-llm, once, or stops the build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tools.mlc import mlc_compat

VENDORED = Path(mlc_compat.__file__).parent / "third_party" / "mlc-llm" / "python" / "mlc_llm"


@pytest.fixture
def package(tmp_path: Path) -> Path:
    copy = tmp_path / "mlc_llm"
    shutil.copytree(VENDORED, copy)
    return copy


def test_every_patch_applies_to_the_vendored_copy(package: Path) -> None:
    mlc_compat.apply(package)

    for patch in mlc_compat.PATCHES:
        text = (package / patch.path).read_text()
        assert patch.new in text, patch.why
        if patch.old not in patch.new:
            assert patch.old not in text, patch.why
    assert "libmlc_llm" in (package / "__init__.py").read_text()
    assert "detect_tokenizer_info" in (package / "tokenizers" / "__init__.py").read_text()
    compile((package / "compiler_pass" / "attach_sampler.py").read_text(), "attach_sampler", "exec")


def test_applying_twice_changes_nothing(package: Path) -> None:
    mlc_compat.apply(package)
    once = {p: p.read_text() for p in package.rglob("*.py")}

    mlc_compat.apply(package)

    assert {p: p.read_text() for p in package.rglob("*.py")} == once


def test_a_patch_whose_text_is_gone_stops_the_build(package: Path) -> None:
    patch = mlc_compat.PATCHES[0]
    target = package / patch.path
    target.write_text(target.read_text().replace(patch.old, "something else"))

    with pytest.raises(SystemExit, match=patch.path):
        mlc_compat.apply(package)


def test_the_vendored_copies_name_their_upstream_and_license() -> None:
    for name in ("mlc-llm", "tvm-headers"):
        folder = VENDORED.parents[1] if name == "mlc-llm" else VENDORED.parents[2] / name
        assert "Apache License" in (folder / "LICENSE").read_text()
        source = (folder / "SOURCE").read_text()
        assert len(source.split()[1]) == 40, source  # the upstream commit
