"""drsim report writes one self-contained page that a browser renders."""

from __future__ import annotations

import base64
import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import DRILL, ROOT


def test_report_is_one_self_contained_page(cli_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    r = subprocess.run([str(cli_path), "report", str(DRILL), "--replications", "4", "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    # Nothing to fetch: no external scripts, styles or images.
    assert not re.search(r'(src|href)="(https?:)?//', page)
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) >= 3  # timeline, traffic split, replications
    for data in images:
        assert base64.b64decode(data).startswith(b"\x89PNG")
    for text in ("Headline figures", "failed requests", "Assumptions and warnings", "The model file",
                 '"name": "asm-gtm-drill"'):
        assert text in html.unescape(page)
    # A bad model is the CLI's usual exit 2, before Python is involved.
    bad = subprocess.run([str(cli_path), "report", str(ROOT / "tests/models/bad/unknown_field.json"),
                          "--out", str(tmp_path / "bad.html")], capture_output=True, text=True)
    assert bad.returncode == 2
    assert not (tmp_path / "bad.html").exists()


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def test_report_renders_in_a_real_browser(cli_path: Path, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium): the report was not checked in a browser")
    out = tmp_path / "report.html"
    subprocess.run([str(cli_path), "report", str(DRILL), "--replications", "4", "--out", str(out)], check=True,
                   capture_output=True)
    # The DOM as the browser parsed it, then the page as it draws it.
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", out.as_uri()],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    assert "Headline figures" in dom
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=1200,3000", out.as_uri()], check=True, capture_output=True, timeout=120)
    # The plots show: the page's pixels hold matplotlib's blues (text and tables are black and grey).
    from matplotlib.image import imread

    pixels = imread(str(shot))
    blue = (pixels[..., 2] > 0.6) & (pixels[..., 0] < 0.45) & (pixels[..., 1] < 0.75)
    assert blue.sum() > 5_000, "no plot colours in the rendered page"
