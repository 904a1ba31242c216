from __future__ import annotations

import pytest

from tierchain.chain import artifacts as toolchain
from tierchain.core.errors import ArtifactError


@pytest.mark.parametrize("name", toolchain.DEPLOYABLE)
def test_deployable_artifacts_load_with_abi_and_bytecode(name: str) -> None:
    art = toolchain.load_artifact(name)
    assert art.bytecode.startswith("0x") and len(art.bytecode) > 100
    assert art.entries("constructor")


def test_missing_artifact_says_run_make_compile() -> None:
    with pytest.raises(ArtifactError, match="make compile"):
        toolchain.load_artifact("NoSuchContract")
