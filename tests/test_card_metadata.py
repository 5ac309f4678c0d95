"""The dataset card's metadata block is huggingface_hub's own (issue 12 point 7).

bench writes README.md's YAML block with huggingface_hub's ``DatasetCardData`` and reads it with
``DatasetCard``. For one repository built per family, huggingface_hub parses the same metadata from
the card as from the card rendered the way bench wrote it before (PyYAML ``safe_dump``, width
1000), and plain ``yaml.safe_load`` of the block gives it too; the body is unchanged; and
``DatasetCard`` renders the card back byte for byte.
"""
from __future__ import annotations

import importlib.util
import warnings

import pytest
import yaml
from geometa_helpers import make_human_dir
from huggingface_hub import DatasetCard

from bench.cli import main
from bench.errors import BenchError
from bench.loaders.repo import parse_front_matter, read_config_meta, render_card, render_readme

#: one config per family that builds offline (the single-cell one needs the singlecell extra)
FAMILY_CONFIGS = {"genelab": "A5_skin_hallmark", "genotex": "genotex_problems", "geometa": "geometa_human_gender",
                  "singlecell": "pbmc68k"}


def previous_render(header: dict, body: str) -> str:
    """The card as bench rendered it before huggingface_hub wrote the block."""
    return "---\n" + yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=1000) + "---\n" + body


def yaml_block(text: str) -> dict:
    """The metadata block read with PyYAML alone (the text between the first two ``---`` lines)."""
    assert text.startswith("---\n")
    return yaml.safe_load(text[4:text.index("\n---\n", 4)])


@pytest.fixture(scope="module")
def family_cards(tmp_path_factory) -> dict:
    """{family: README.md path} of one repository built per family from synthetic or shipped data."""
    root = tmp_path_factory.mktemp("cards")
    data_dirs = {"genelab": "synthetic", "geometa": str(make_human_dir(root / "geometa-labels", train=False))}
    cards = {}
    for family, config in FAMILY_CONFIGS.items():
        if family == "singlecell" and not importlib.util.find_spec("scanpy"):
            continue
        out = root / family
        args = ["build", config, "--out", str(out)]
        args += ["--data-dir", data_dirs[family]] if family in data_dirs else []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert main(args) == 0, family
        cards[family] = out / "README.md"
    return cards


@pytest.mark.parametrize("family", FAMILY_CONFIGS)
def test_hub_parses_the_same_metadata_as_from_the_previous_rendering(family_cards, family):
    if family not in family_cards:
        pytest.skip("the singlecell extra (scanpy) is not installed")
    text = family_cards[family].read_text(encoding="utf-8")
    header = yaml_block(text)
    body = text.split("\n---\n", 1)[1]
    assert body == render_card({FAMILY_CONFIGS[family]: read_config_meta(family_cards[family].parent,
                                                                         FAMILY_CONFIGS[family])})
    card, before = DatasetCard(text), DatasetCard(previous_render(header, body))
    assert card.data.to_dict() == before.data.to_dict() == header
    assert card.text == before.text == body
    assert card.content == text                      # huggingface_hub writes this card back unchanged
    assert parse_front_matter(text) == (header, body) == parse_front_matter(previous_render(header, body))
    assert main(["validate", str(family_cards[family].parent)]) == 0


def test_card_of_every_family_together_parses_the_same(family_cards):
    """One README holding the configs of every family (dataset_info items, licences, tags merged)."""
    headers = {f: yaml_block(p.read_text(encoding="utf-8")) for f, p in family_cards.items()}
    merged = {"configs": [e for h in headers.values() for e in h["configs"]],
              "dataset_info": [e for h in headers.values() for e in h["dataset_info"]],
              "license": "other", "license_name": "per-config", "license_link": "LICENSE.md",
              "tags": ["biology", "synthetic"], "pretty_name": "bench: transcriptomics benchmarks"}
    text = render_readme(merged, "# body\n")
    assert DatasetCard(text).data.to_dict() == DatasetCard(previous_render(merged, "# body\n")).data.to_dict() \
        == yaml_block(text) == merged
    assert DatasetCard(text).content == text


def test_a_value_yaml_cannot_read_back_is_refused():
    with pytest.raises(BenchError, match="would not read back as written"):
        render_readme({"tags": ("biology",)}, "body\n")     # a tuple: PyYAML writes a Python-only tag


@pytest.mark.parametrize("text, message", [
    ("---\nconfigs: [\n---\nbody\n", "README.md: malformed YAML header"),
    ("---\n- a\n- b\n---\nbody\n", "README.md: YAML header must be a mapping"),
    ("---\n1: a\n---\nbody\n", "README.md: YAML header must be a mapping"),
])
def test_a_bad_metadata_block_is_named(text, message):
    with pytest.raises(BenchError, match=message):
        parse_front_matter(text, where="README.md")


def test_a_card_without_metadata_is_all_body():
    assert parse_front_matter("# just text\n") == ({}, "# just text\n")
    assert parse_front_matter("") == ({}, "")
