"""`ercc explore` on a tiny LSTM: the run folder, the cache, the compile check, and bad input (exit 2, one line)."""

import json
import sqlite3

import numpy as np
import pytest
import yaml

pytest.importorskip("optuna")

from ercc.cli import run  # noqa: E402
from ercc.exploration import explore  # noqa: E402


def test_two_trial_grid_writes_the_run_folder_and_a_rerun_comes_from_the_cache(tiny_case, tmp_path, capsys):
    model, data = tiny_case
    out = tmp_path / "run"
    pins = {"/rnn/LSTM/W": [1], "/rnn/LSTM/R": [1, 4]}  # a 2-config grid: R dense or at K = 4
    first = explore(model, data, out=out, layers=pins, weight_bits=[16], max_drop=0.05)
    assert {p.name for p in out.iterdir()} >= {"trials.json", "study.db", "best.yaml", "best.onnx", "pareto.png", "cache"}
    assert first.summary["grid_size"] == 2 and first.summary["screened"] == 2
    assert first.best is not None and first.best["value"] >= first.dense["value"] - 0.05
    assert all(t["estimate"]["estimate"] is True for t in first.trials)
    saved = json.loads((out / "trials.json").read_text())
    assert saved["best"] == first.best["label"] and len(saved["trials"]) == len(first.trials)
    assert saved["summary"]["noise_margin_se"] == 1.0
    for t in (t for t in saved["trials"] if t["phase"] == "full" and t["value"] is not None):
        assert t["meets"] == (t["drop"] + t["drop_se"] <= 0.05 + 1e-12), t  # the paired drop, one s.e. of margin
    assert saved["best"] in {t["label"] for t in saved["trials"] if t.get("meets")}
    # a rerun of the same exploration trains nothing: the study is complete and every score is cached
    again = explore(model, data, out=out, layers=pins, weight_bits=[16], max_drop=0.05)
    assert again.summary["trainings_run"] == {"screen": 0, "full": 0}
    assert [p["label"] for p in again.pareto] == [p["label"] for p in first.pareto]
    # best.yaml + best.onnx compile with plain `ercc` to the estimate the exploration reported
    options = yaml.safe_load((out / "best.yaml").read_text())
    assert options["precision"] == "fixed"
    report = tmp_path / "r.json"
    code = run([str(out / "best.onnx"), "-o", str(tmp_path / "k.cpp"), "--config", str(out / "best.yaml"),
                "--report", str(report), "--quiet"])
    assert code == 0, capsys.readouterr().err
    estimate = json.loads(report.read_text())
    for key in ("throughput_fps", "dsp", "bram18k", "lut", "weight_bytes"):
        assert estimate[key] == first.best["estimate"][key], key


@pytest.mark.parametrize("extra, message", [
    (["--device", "xcku999"], "unknown --device 'xcku999'"),
    (["--block-sizes", "3"], "--block-sizes must be powers of two"),
    (["--weight-bits", "2"], "--weight-bits must be integers in [4, 24]"),
    (["--max-drop", "-0.1"], "--max-drop must be in [0, 1)"),
    (["--noise-margin", "-1"], "--noise-margin must be in [0, 10] standard errors"),
    (["--clock-mhz", "0"], "--clock-mhz must be in (0, 1000]"),
    (["--trials", "0"], "--trials and --jobs must be >= 1"),
    (["--dsp-fraction", "1.5"], "--dsp-fraction values must be in (0, 1]"),
    (["--block-sizes", "4,x"], "expected a comma-separated list of ints"),
    (["--val", "{other}"], "other.npz: has arrays ['x'], --data has ['labels', 'x']"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tiny_case, tmp_path, capsys, extra, message):
    model, data = tiny_case
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros((4, 6, 4), np.float32))
    out = tmp_path / "run"
    argv = ["explore", str(model), "--data", str(data), "-o", str(out), "--quiet",
            *[a.format(other=other) for a in extra]]
    assert run(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err, err
    assert not out.exists()


def test_data_without_the_graph_input_is_refused(tiny_case, tmp_path, capsys):
    model, _ = tiny_case
    bad = tmp_path / "bad.npz"
    np.savez(bad, z=np.zeros((9, 6, 4), np.float32), labels=np.zeros(9, np.int64))
    assert run(["explore", str(model), "--data", str(bad), "-o", str(tmp_path / "run"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "bad.npz" in err and "no array 'x'" in err and "\n" not in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("kind", ["corrupted", "foreign"])
def test_a_corrupted_or_foreign_study_database_is_a_clear_error(tiny_case, tmp_path, capsys, kind):
    model, data = tiny_case
    out = tmp_path / "run"
    out.mkdir()
    db = out / "study.db"
    if kind == "corrupted":
        db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    else:
        with sqlite3.connect(db) as c:
            c.execute("create table songs (title text)")
    assert run(["explore", str(model), "--data", str(data), "-o", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "study.db" in err and "\n" not in err
    assert ("not a readable SQLite database" if kind == "corrupted" else "not an Optuna study") in err
    assert sorted(p.name for p in out.iterdir()) == ["study.db"]


def test_nothing_meeting_the_limit_ends_with_exit_2_and_the_closest_configs(tiny_case, tmp_path, capsys,
                                                                             monkeypatch):
    from ercc.exploration import trial

    real = trial.score

    def poor(model, data, config, *args):  # every compressed config misses the limit (one job: in this process)
        result = real(model, data, config, *args)
        wrong = [0.0] * len(result["per_sample"])  # every validation sequence misclassified
        return result if config is None else {**result, "value": 0.0, "per_sample": wrong}

    monkeypatch.setattr(trial, "score", poor)
    model, data = tiny_case
    out = tmp_path / "run"
    code = run(["explore", str(model), "--data", str(data), "-o", str(out), "--quiet", "--block-sizes", "8",
                "--weight-bits", "4", "--max-drop", "0.01"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "no config meets --max-drop 0.01" in err and "the closest: K=8 w4" in err, err
    assert not (out / "best.onnx").exists() and not (out / "best.yaml").exists()


def test_nothing_fitting_the_device_ends_with_exit_2_and_the_closest_configs(tiny_case, tmp_path, capsys,
                                                                            monkeypatch):
    from ercc.hardware import devices

    tiny = devices.Device("tiny", "tiny-part", "test", 1, 1, 100, 200)  # one DSP: no kernel fits
    monkeypatch.setitem(devices.DEVICES, "tiny", tiny)
    model, data = tiny_case
    out = tmp_path / "run"
    code = run(["explore", str(model), "--data", str(data), "-o", str(out), "--quiet", "--device", "tiny",
                "--block-sizes", "4", "--weight-bits", "16"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "fits tiny; the closest: K=4 w16" in err and ", over " in err, err
    assert not (out / "best.onnx").exists() and not (out / "best.yaml").exists()
