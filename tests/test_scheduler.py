"""bench.scheduler: parsing --scheduler / BENCH_SCHEDULER, the serial runner, the missing-extra error,
and (with the dask extra) starting/closing a LocalCluster and connecting to an existing one."""
from __future__ import annotations

import platform
import sys

import pytest

from bench.cli import main
from bench.errors import BenchError
from bench.scheduler import SchedulerChoice, SerialRunner, active_runner, parse_scheduler, scheduler


def test_parse_values_and_environment(monkeypatch):
    monkeypatch.delenv("BENCH_SCHEDULER", raising=False)
    assert parse_scheduler(None) == SchedulerChoice("serial")
    assert parse_scheduler("local:3") == SchedulerChoice("local", n_workers=3)
    assert parse_scheduler("local").n_workers >= 1
    assert parse_scheduler("tcp://10.0.0.5:8786") == SchedulerChoice("address", address="tcp://10.0.0.5:8786")
    monkeypatch.setenv("BENCH_SCHEDULER", "local:2")
    assert parse_scheduler(None) == SchedulerChoice("local", n_workers=2)
    assert parse_scheduler("serial").kind == "serial"  # the option wins over the environment


@pytest.mark.parametrize("bad", ["locl:2", "local:0", "local:x", "8786", "tcp://"])
def test_bad_values_are_refused_naming_the_source(bad, monkeypatch):
    with pytest.raises(BenchError, match="--scheduler"):
        parse_scheduler(bad)
    monkeypatch.setenv("BENCH_SCHEDULER", bad)
    with pytest.raises(BenchError, match="BENCH_SCHEDULER"):
        parse_scheduler(None)


def test_serial_runner_is_a_plain_loop_and_reports_failures_per_item():
    with scheduler("serial") as runner:
        assert isinstance(runner, SerialRunner) and active_runner() is runner
        assert list(runner.map(lambda i, scale: i * scale, [1, 2, 3], scale=runner.share(10))) == [10, 20, 30]
        outcomes = list(runner.each(lambda i: 1 // i, [1, 0, 2]))
    assert [o.result for o in outcomes] == [1, None, 0]
    assert outcomes[1].error.startswith("ZeroDivisionError")


def test_asking_for_a_cluster_without_the_extra_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    with pytest.raises(BenchError, match=r'pip install "bench\[dask\]"'):
        with scheduler("local:2"):
            pass


def test_cli_refuses_a_bad_scheduler_before_any_work(tmp_path, capsys):
    assert main(["run", "A6_eye_hallmark", "--model", "random", "--out", str(tmp_path / "r"),
                 "--scheduler", "nowhere"]) == 2
    assert "--scheduler 'nowhere'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


@pytest.mark.dask
def test_local_cluster_is_started_and_closed_and_an_existing_one_is_left_running():
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed (pip install 'bench[dask]')")
    with scheduler("local:2", quiet=True) as runner:
        assert runner.n_workers == 2
        assert list(runner.map(pow, [2, 3], exp=runner.share(2))) == [4, 9]
        tuned = runner.client.run(lambda dask_worker: getattr(dask_worker, "bench_reuse_freed_blocks", None))
        cluster = runner.client.cluster
    assert cluster.status.name == "closed"
    assert set(tuned.values()) == {_glibc_mallopt_works()}  # bench's own workers reuse freed block memory
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0", silence_logs=50) as cluster:
        with scheduler(cluster.scheduler_address, quiet=True) as runner:
            assert runner.n_workers == 1
            untouched = runner.client.run(lambda dask_worker: hasattr(dask_worker, "bench_reuse_freed_blocks"))
        assert set(untouched.values()) == {False}  # someone else's workers keep their memory settings
        assert cluster.status.name == "running"  # connecting never stops someone else's cluster


def _glibc_mallopt_works() -> bool:
    """Independent of bench: is this Python linked against glibc (whose mallopt bench sets)?"""
    return platform.libc_ver()[0] == "glibc"
