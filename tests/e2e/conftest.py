from __future__ import annotations

from collections.abc import Iterator

import pytest

from starter.devstack import DevStack
from tests.e2e.stack import running_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running
