"""Result records of GEOmeta, single-cell and GenoTEX (`bench run` / `bench evaluate --record`): the GeneLab
record's schema, values checked against sklearn or hand-computed truths, `bench verify` MATCH on the
untouched record and the tamper of one value or one prediction named; the gene-universe alarm fires on
foreign gene identifiers and stays silent on the data's own."""
from __future__ import annotations

import importlib.util
import json
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, silhouette_score

from bench.cli import main
from bench.baselines.singlecell.records import embedding_sha256
from bench.results.record import read_record, verify_record

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

#: The fields of every record (those of a GeneLab record, tests/test_record.py).
RECORD_FIELDS = {"record_format", "record_version", "benchmark", "dataset", "splits", "labels_sha256", "predictions",
                 "metric", "value", "model", "software", "command", "hardware", "runtime_seconds", "created_utc",
                 "alarms", "verification"}


def edit_json(path, change):
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def assert_schema(record: dict, family: str):
    assert set(record) == RECORD_FIELDS
    assert record["benchmark"]["family"] == family and record["verification"] == {"level": "self-reported"}
    assert {"id", "version", "params", "primary"} <= set(record["metric"])
    assert set(record["software"]) >= {"bench_version", "git_revision"} and record["runtime_seconds"] >= 0
    assert record["command"][0] == "bench" and not any(a.startswith("/") for a in record["command"])
    assert len(record["predictions"]["sha256"]) == 64 and len(record["splits"]["sha256"]) == 64


def assert_tampers_caught(folder, value_path: list, tamper_prediction, capsys):
    """MATCH untouched; one value changed -> that field named; one prediction changed -> predictions.sha256."""
    assert verify_record(folder).status == "MATCH"
    clean = {p.name: (p.read_bytes() if p.is_file() else None) for p in folder.iterdir()}
    record = folder / "record.json"

    def bump(doc):
        target = doc["value"]
        for key in value_path[:-1]:
            target = target[key]
        target[value_path[-1]] += 0.01

    edit_json(record, bump)
    v = verify_record(folder)
    named = "value" + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in value_path)
    assert v.status == "MISMATCH" and any(d.startswith(named + ":") for d in v.differences), v.differences
    record.write_bytes(clean["record.json"])
    tamper_prediction()
    v = verify_record(folder)
    assert v.status == "MISMATCH" and any(d.startswith("predictions.sha256") for d in v.differences)
    assert main(["verify", str(folder)]) == 1 and "differs: predictions.sha256" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------ GEOmeta

def _has_h5py() -> bool:
    try:
        import h5py  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _has_h5py(), reason="h5py is not installed (pip install 'bench[geometa]')")
@pytest.mark.filterwarnings("ignore::bench.loaders.geometa.GeometaWarning")
def test_geometa_run_record_verifies_and_catches_tampers(tmp_path, capsys, monkeypatch):
    from geometa_helpers import make_human_dir

    data = make_human_dir(tmp_path / "data", n_train=150, n_test=60)
    out = tmp_path / "run"
    assert main(["run", "geometa_human_gender", "--model", "lr", "--data-dir", str(data), "--out", str(out)]) == 0
    record = read_record(out)
    assert_schema(record, "geometa")
    assert record["metric"]["id"] == "geometa_f1" and record["predictions"]["keyed_by"] == "target/GSM_ID"
    table = pd.read_csv(out / "predictions_gender.csv")
    truth = f1_score(table["y_true"].astype(str), table["y_pred"].astype(str), average="macro")
    assert record["value"]["per_target"]["gender"]["macro_f1"] == pytest.approx(truth, abs=1e-12)
    assert record["value"]["value"] == pytest.approx(truth, abs=1e-12)
    preds = json.loads((out / "predictions.json").read_text())
    assert preds["gender"] == dict(zip(table["GSM_ID"], table["y_pred"]))
    # order plays no part: the predictions file written in reverse still matches
    (out / "predictions.json").write_text(json.dumps({"gender": dict(reversed(list(preds["gender"].items())))}))
    assert verify_record(out, data_dir=data).status == "MATCH"

    def flip_one():
        first = next(iter(preds["gender"]))
        other = next(c for c in set(preds["gender"].values()) | {"female", "male"} if c != preds["gender"][first])
        edit_json(out / "predictions.json", lambda d: d["gender"].__setitem__(first, other))

    monkeypatch.setenv("BENCH_GEOMETA_DIR", str(data))  # verify reads the labels from the same data
    assert_tampers_caught(out, ["per_target", "gender", "macro_f1"], flip_one, capsys)


# ------------------------------------------------------------------------------------------ single-cell

@pytest.fixture(scope="module")
def pbmc_run(tmp_path_factory):
    pytest.importorskip("scanpy", reason="the singlecell extra (scanpy ships pbmc68k) is not installed "
                                         "(pip install 'bench[singlecell]')")
    out = tmp_path_factory.mktemp("sc") / "run"
    assert main(["run", "pbmc68k", "--model", "pca", "--out", str(out)]) == 0
    return out


def test_singlecell_run_record_verifies_and_catches_tampers(pbmc_run, tmp_path, capsys):
    folder = tmp_path / "run"
    shutil.copytree(pbmc_run, folder)
    record = read_record(folder)
    assert_schema(record, "singlecell")
    assert record["predictions"]["keyed_by"] == "cell_id" and record["predictions"]["cells"] == "obs.csv"
    X = np.load(folder / "embedding.npy")
    obs = pd.read_csv(folder / "obs.csv", dtype=str)
    label_key = record["metric"]["params"]["label_key"]
    # the primary (scib's rescaled silhouette, float32 distances) against sklearn's float64 silhouette
    truth = (silhouette_score(X.astype(np.float64), obs[label_key]) + 1) / 2
    assert record["value"]["value"] == pytest.approx(truth, abs=1e-6)
    # keyed by cell id: the same rows in another order hash the same; one changed number does not
    order = np.random.default_rng(0).permutation(len(X))
    assert embedding_sha256(X[order], obs["cell_id"].to_numpy()[order]) == record["predictions"]["sha256"]

    def change_one_number():
        Y = X.copy()
        Y[3, 0] += 1.0
        np.save(folder / "embedding.npy", Y, allow_pickle=False)

    row = next(i for i, r in enumerate(record["value"]["rows"]) if r["metric"] == "silhouette_score")
    assert_tampers_caught(folder, ["rows", row, "value"], change_one_number, capsys)


def test_singlecell_evaluate_record_and_relabelled_cells(pbmc_run, tmp_path, capsys):
    rec = tmp_path / "rec"
    assert main(["evaluate", "pbmc68k", str(pbmc_run / "embedding.npy"), "--obs", str(pbmc_run / "obs.csv"),
                 "--record", str(rec)]) == 0
    capsys.readouterr()
    assert {p.name for p in rec.iterdir()} == {"record.json", "embedding.npy", "obs.csv"}
    ran, evaluated = read_record(pbmc_run), read_record(rec)
    assert evaluated["predictions"]["sha256"] == ran["predictions"]["sha256"]  # the same embedding, same cells
    assert evaluated["value"] == ran["value"]
    assert verify_record(rec).status == "MATCH"
    cells = pd.read_csv(rec / "obs.csv", dtype=str)
    label_key = evaluated["metric"]["params"]["label_key"]
    cells.loc[0, label_key] = cells[label_key].iloc[-1] if cells[label_key].iloc[-1] != cells.loc[0, label_key] else "x"
    cells.to_csv(rec / "obs.csv", index=False)
    assert any(d.startswith("labels_sha256") for d in verify_record(rec).differences)


def test_singlecell_h5ad_with_foreign_gene_ids_raises_the_gene_universe_alarm(pbmc_run, tmp_path, capsys):
    anndata = pytest.importorskip("anndata", reason="the singlecell extra is not installed (pip install 'bench[singlecell]')")
    from bench.loaders.singlecell.source import read_source_anndata
    from bench.tasks import get_task

    adata = read_source_anndata(get_task("pbmc68k"))
    adata.obsm["X_model"] = np.load(pbmc_run / "embedding.npy")
    good = tmp_path / "good.h5ad"
    adata.write_h5ad(good)
    assert main(["evaluate", "pbmc68k", str(good), "--obsm", "X_model", "--tasks", "embedding"]) == 0
    assert "gene_universe" not in capsys.readouterr().err
    adata.var_names = [f"ENSG{i:011d}" for i in range(adata.n_vars)]
    bad = tmp_path / "bad.h5ad"
    adata.write_h5ad(bad)
    assert main(["evaluate", "pbmc68k", str(bad), "--obsm", "X_model", "--tasks", "embedding",
                 "--record", str(tmp_path / "rec")]) == 0
    err = capsys.readouterr().err
    assert "bench: warning: [gene_universe]" in err and "ENSG00000000000" in err
    assert [a["id"] for a in read_record(tmp_path / "rec")["alarms"]] == ["gene_universe"]


# ------------------------------------------------------------------------------------------ GenoTEX

@pytest.fixture(scope="module")
def gta_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gta") / "run"
    assert main(["run", "genotex_problems", "--model", "lasso", "--out", str(out)]) == 0
    return out


def hand_analysis(pred_regress, ref_regress) -> dict:
    """success = share of reference problems with a prediction file; precision = mean over those of |P∩R|/|P|."""
    ref_files = sorted(ref_regress.glob("*/significant_genes*.json"))
    present, precision = 0, []
    for f in ref_files:
        p = pred_regress / f.parent.name / f.name
        if p.is_file():
            present += 1
            P = set(json.loads(p.read_text())["significant_genes"]["Variable"])
            R = set(json.loads(f.read_text())["significant_genes"]["Variable"])
            precision.append(100 * len(P & R) / len(P))
    return {"success": round(100 * present / len(ref_files), 2), "precision": round(float(np.mean(precision)), 2)}


def test_genotex_run_record_verifies_and_catches_tampers(gta_run, tmp_path, capsys):
    from bench.loaders.genotex.synthetic import build_genotex_root

    folder = tmp_path / "run"
    shutil.copytree(gta_run, folder)
    record = read_record(folder)
    assert_schema(record, "genotex")
    assert record["metric"]["id"] == ["gta_gene_set"] and record["predictions"]["file"] == "regress"
    assert record["dataset"]["origin"] == "synthetic:genotex-seed42" and record["dataset"]["synthetic"] is True
    root = build_genotex_root(tmp_path / "root", seed=42)
    overall = record["value"]["results"]["analysis"]["Overall"]
    truth = hand_analysis(folder / "regress", root / "output" / "regress")
    assert (overall["success"], overall["precision"]) == (truth["success"], truth["precision"])

    def drop_one_gene():
        path = sorted((folder / "regress").glob("*/significant_genes_condition_None.json"))[0]
        edit_json(path, lambda d: d["significant_genes"]["Variable"].pop(0))

    assert_tampers_caught(folder, ["results", "analysis", "Overall", "f1"], drop_one_gene, capsys)


def test_genotex_evaluate_record_and_gene_universe_alarm(gta_run, tmp_path, capsys):
    rec = tmp_path / "rec"
    assert main(["evaluate", "genotex_problems", str(gta_run), "--record", str(rec)]) == 0
    assert "gene_universe" not in capsys.readouterr().err  # the baseline's genes are the data's
    assert {p.name for p in rec.iterdir()} == {"record.json", "regress"}
    assert verify_record(rec).status == "MATCH"
    assert read_record(rec)["value"] == read_record(gta_run)["value"]
    foreign = tmp_path / "foreign"
    shutil.copytree(gta_run / "regress", foreign / "regress")
    for path in foreign.glob("regress/Obesity/*.json"):
        edit_json(path, lambda d: d["significant_genes"].__setitem__(
            "Variable", [f"ENSG{i:011d}" for i, _ in enumerate(d["significant_genes"]["Variable"])]))
    assert main(["evaluate", "genotex_problems", str(foreign), "--record", str(tmp_path / "rec2")]) == 0
    err = capsys.readouterr().err
    assert "bench: warning: [gene_universe] trait Obesity: predicted significant genes" in err
    assert "Breast_Cancer" not in err
    assert [a["id"] for a in read_record(tmp_path / "rec2")["alarms"]] == ["gene_universe"]
    assert verify_record(tmp_path / "rec2").status == "MATCH"  # an alarm is not a mismatch


def test_family_evaluate_outputs_hold_no_absolute_path(request, gta_run, tmp_path, capsys):
    """results.json, report folders and records of single-cell (with the extra) and GenoTEX evaluations:
    no tmp path."""
    from bench.loaders.genotex.synthetic import build_genotex_root

    root = build_genotex_root(tmp_path / "root", seed=42)
    runs = {"gta": ["genotex_problems", str(gta_run), "--data-dir", str(root)]}
    if importlib.util.find_spec("scanpy"):
        pbmc_run = request.getfixturevalue("pbmc_run")
        runs["sc"] = ["pbmc68k", str(pbmc_run / "embedding.npy"), "--obs", str(pbmc_run / "obs.csv")]
    for name, args in runs.items():
        assert main(["evaluate", *args, "--json", str(tmp_path / f"{name}.json"), "--out", str(tmp_path / f"{name}_out"),
                     "--record", str(tmp_path / f"{name}_rec")]) == 0
        capsys.readouterr()
        written = [(tmp_path / f"{name}.json").read_text()] + [
            p.read_text(errors="replace") for folder in (f"{name}_out", f"{name}_rec")
            for p in sorted((tmp_path / folder).rglob("*")) if p.suffix in (".json", ".tsv", ".csv")]
        assert not any(str(tmp_path) in text or "/tmp" in text for text in written), name
    assert read_record(tmp_path / "gta_rec")["dataset"]["origin"] == "local"
    assert verify_record(tmp_path / "gta_rec", data_dir=root).status == "MATCH"
