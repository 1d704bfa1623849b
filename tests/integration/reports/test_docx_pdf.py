"""The Word report is a document a real word processor lays out: LibreOffice (headless) turns it
into a PDF with a title page and a page per theme.

LibreOffice is required, not optional: CI installs it (.ci/run), and a missing soffice fails this
test with a message saying how to install it."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from jinja2 import Environment

from consult.reports.render import write_report
from tests.integration.reports.sample import Sample

TIMEOUT_SECONDS = 120


def _soffice() -> str:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "LibreOffice is not installed (no soffice or libreoffice on PATH). Install it with: "
        "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "
        "libreoffice-writer fonts-dejavu",
        pytrace=False,
    )


def _page_count(pdf: Path) -> int:
    if importlib.util.find_spec("pypdf") is not None:
        import pypdf

        return len(pypdf.PdfReader(str(pdf)).pages)
    # LibreOffice writes page objects as plain dictionaries: count "/Type /Page", not "/Pages".
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf.read_bytes()))


@pytest.mark.slow
def test_word_report_converts_to_a_pdf_with_a_page_per_theme(
    make_sample: Callable[[str], Sample], templates_env: Environment, tmp_path: Path
) -> None:
    sample = make_sample("nl")
    files = write_report(templates_env, sample.report, tmp_path / "report")
    out = tmp_path / "pdf"
    # A private profile: two conversions sharing ~/.config/libreoffice block each other.
    profile = (tmp_path / "lo-profile").as_uri()
    command = [
        _soffice(),
        f"-env:UserInstallation={profile}",
        "--headless",
        "--convert-to",
        "pdf",
        "--outdir",
        str(out),
        str(files.docx),
    ]
    started = time.monotonic()
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"LibreOffice took more than {TIMEOUT_SECONDS} s to convert {files.docx}")
    elapsed = time.monotonic() - started

    pdf = out / files.docx.with_suffix(".pdf").name
    assert pdf.is_file(), (
        f"no PDF after {elapsed:.1f} s (exit {result.returncode})\n"
        f"stdout: {result.stdout}\nstderr: {result.stderr}"
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    # Title page, then each theme starts on its own page, then the annex: at least 2 + themes.
    minimum = 2 + len(sample.report.themes)
    pages = _page_count(pdf)
    assert pages >= minimum, f"{pages} pages, expected at least {minimum}"
