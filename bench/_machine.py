"""What machine and checkout a benchmark ran on: shared by the bench scripts."""

from __future__ import annotations

import platform
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo (or what platform knows)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    for key in ("model name", "Hardware", "cpu model", "Processor"):
        for line in text.splitlines():
            if line.split(":")[0].strip() == key:
                return line.split(":", 1)[1].strip()
    return platform.machine()


def ram_gb() -> str:
    """Total memory, GiB."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def cpu_quota() -> str | None:
    """The cgroup CPU quota, if one is set."""
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
    except (OSError, ValueError):
        return None
    return None if quota == "max" else f"{int(quota) / int(period):g} CPUs (cgroup cpu.max)"


def git_state() -> str:
    """Short commit of the checkout, and whether tracked files were changed."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        head = subprocess.run(
            [git, "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            [git, "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}{' (with uncommitted changes)' if dirty else ''}" if head else "unknown"


def describe(
    versioned: tuple[str, ...], *, extra: list[tuple[str, str]] = ()
) -> list[tuple[str, str]]:
    """Hardware, OS, Python, package versions, BLAS/thread settings and the checkout.

    ``extra`` rows (interpreter, CLI, ...) go after the Python row.
    """
    import os
    from importlib import metadata

    cores = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cores or 0
    info = [("CPU", cpu_model()), ("Cores", f"{cores} logical, {usable} usable by this process")]
    quota = cpu_quota()
    if quota:
        info.append(("CPU quota", quota))
    info.append(("RAM", ram_gb()))
    if hasattr(os, "getloadavg"):
        info.append(("Load average at start", " ".join(f"{x:.2f}" for x in os.getloadavg())))
    info.append(("OS", platform.platform()))
    info.append(("Python", f"{platform.python_implementation()} {platform.python_version()}"))
    info += list(extra)
    versions = []
    for dist in versioned:
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{dist} (not installed)")
    info.append(("Packages", ", ".join(versions)))
    threads = {
        k: v
        for k, v in sorted(os.environ.items())
        if k.startswith(("OPENBLAS", "GOTO", "MKL_", "OMP_")) or "BLAS" in k
    }
    info.append(
        ("BLAS/thread env", ", ".join(f"{k}={v}" for k, v in threads.items()) or "none set")
    )
    info.append(("Repository", git_state()))
    return info
