"""Two refreshes at once, faults in the middle of a save, a killed run: the workbook is never corrupted,
no log row is lost, backups never share a name, and what a killed run left behind is cleaned up."""

import errno
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from workbook import layout as L
from workbook import xlsx
from workbook.cli import main
from workbook.refresh import run_refresh
from workbook.xlsx import FileRefused, XlsxBook, remove_stale_temporaries, workbook_lock

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "workbook" / "VP2025-exempel.xlsx"
VP = [sys.executable, "-c", "import sys; from workbook.cli import main; sys.exit(main(sys.argv[1:]))"]


@pytest.fixture
def example(tmp_path):
    path = tmp_path / "VP2025.xlsx"
    path.write_bytes(EXAMPLE.read_bytes())
    return path


def log_rows(path):
    return [r for r in openpyxl.load_workbook(path)[L.LOG].iter_rows(min_row=L.FIRST_DATA_ROW, values_only=True)
            if r[0]]


def leftovers(folder, keep):
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_two_refreshes_started_together_both_land_in_the_log(example):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [subprocess.Popen([*VP, "refresh", str(example)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE) for _ in range(2)]
    results = [(run.wait(timeout=240), *run.communicate()) for run in runs]
    codes = [code for code, _, _ in results]
    err = "".join(e.decode() for _, _, e in results)
    assert codes == [0, 0], err  # the second waited for the first, then read what it wrote
    assert len(log_rows(example)) == 2
    backups = sorted(example.parent.glob("VP2025.vp-backup-*.xlsx"))
    assert len(backups) == 2
    assert zipfile.ZipFile(example).testzip() is None
    assert not list(example.parent.glob(".vp-*")) and not list(example.parent.glob(".*.vp-lock"))


def test_a_refresh_that_cannot_wait_is_refused_clearly(example, capsys, monkeypatch):
    monkeypatch.setattr(xlsx, "LOCK_WAIT_SECONDS", 0.2)
    before = example.read_bytes()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from workbook.xlsx import workbook_lock\n"
        f"with workbook_lock({str(example)!r}):\n    print('låst', flush=True); time.sleep(30)")],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().decode().strip() == "låst"
        assert main(["refresh", str(example)]) == 2
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert "VP2025.xlsx uppdateras just nu av en annan körning" in err and f"process {holder.pid}" in err
    assert example.read_bytes() == before


def test_a_file_changed_since_it_was_read_is_not_overwritten(example):
    source = XlsxBook(example)
    run_refresh(source)
    wb = openpyxl.load_workbook(example)  # someone else saves meanwhile
    wb[L.INDICATORS]["Q1"] = "en kollegas ändring"
    wb.save(example)
    theirs = example.read_bytes()
    with pytest.raises(FileRefused, match="har ändrats av någon annan sedan den lästes"):
        source.save()
    assert example.read_bytes() == theirs
    assert leftovers(example.parent, {example.name}) == []


def _half_written(package, out, *args, **kwargs):
    Path(out).write_bytes(b"PK\x03\x04 en halv fil")
    raise OSError(errno.ENOSPC, "No space left on device")


def _torn_zip(package, out, *args, **kwargs):
    from workbook.patch import write_package

    write_package(package, out, *args, **kwargs)
    data = Path(out).read_bytes()
    Path(out).write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("fault", ["disk full while writing", "torn zip", "replace fails", "killed by Ctrl-C"])
def test_a_fault_in_the_middle_of_a_save_leaves_the_original_as_it_was(example, monkeypatch, fault):
    before = example.read_bytes()
    source = XlsxBook(example)
    run_refresh(source)
    if fault == "disk full while writing":
        monkeypatch.setattr(xlsx, "write_package", _half_written)
        expected = OSError
    elif fault == "torn zip":
        monkeypatch.setattr(xlsx, "write_package", _torn_zip)
        expected = FileRefused
    elif fault == "replace fails":
        def refuse(*args):
            raise PermissionError(errno.EACCES, "Permission denied")
        monkeypatch.setattr(xlsx.os, "replace", refuse)
        expected = PermissionError
    else:
        def interrupt(*args):
            raise KeyboardInterrupt
        monkeypatch.setattr(xlsx, "_fsync", interrupt)
        expected = KeyboardInterrupt
    with pytest.raises(expected):
        source.save()
    monkeypatch.undo()
    assert example.read_bytes() == before
    assert leftovers(example.parent, {example.name}) == []  # no temporary file, no backup of an unchanged file
    again = XlsxBook(example)
    run_refresh(again)
    again.save()
    assert len(log_rows(example)) == 1


def test_a_killed_refresh_leaves_the_file_whole_and_the_next_run_cleans_up(example):
    before = example.read_bytes()
    script = (
        "import sys, time\n"
        "from workbook import xlsx\n"
        "def stuck(package, out, *a, **k):\n"
        "    open(out, 'wb').write(b'PK halvskriven')\n"
        "    print('skriver', flush=True)\n"
        "    time.sleep(60)\n"
        "xlsx.write_package = stuck\n"
        "from workbook.cli import main\n"
        f"main(['refresh', {str(example)!r}])\n")
    run = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert run.stdout.readline().decode().strip() == "skriver"
        temporary = list(example.parent.glob(".vp-*.xlsx"))
        assert len(temporary) == 1
        assert remove_stale_temporaries(example.parent, older_than=0) == []  # locked by the running save
        os.kill(run.pid, signal.SIGKILL)
    finally:
        run.wait()
    assert example.read_bytes() == before  # killed mid-save: the original is whole
    assert temporary[0].exists()
    old = time.time() - 3600
    os.utime(temporary[0], (old, old))
    mine = example.parent / ".vp-notours.xlsx"  # not our name pattern: never touched
    mine.write_bytes(b"x")
    os.utime(mine, (old, old))
    assert main(["refresh", str(example)]) == 0
    assert not temporary[0].exists() and mine.exists()
    assert len(log_rows(example)) == 1


def test_a_young_temporary_file_is_left_alone(tmp_path):
    young = tmp_path / ".vp-abcd1234.xlsx"
    young.write_bytes(b"x")
    assert remove_stale_temporaries(tmp_path) == [] and young.exists()
    old = time.time() - 3600
    os.utime(young, (old, old))
    assert remove_stale_temporaries(tmp_path) == [young] and not young.exists()


def test_the_lock_is_reentrant_and_removed_after_use(example):
    with workbook_lock(example):
        with workbook_lock(example):
            assert (example.parent / f".{example.name}.vp-lock").exists()
        assert (example.parent / f".{example.name}.vp-lock").exists()
    assert not (example.parent / f".{example.name}.vp-lock").exists()
