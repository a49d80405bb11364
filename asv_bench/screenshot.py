"""Screenshot of the published asv dashboard in headless Chromium, offline.

``python asv_bench/screenshot.py OUT.png [PAGE]`` (from the repository root, after ``asv
publish``): copies ``asv_bench/html``, points the scripts the dashboard loads from CDNs at
Debian's packaged copies (``apt-get install chromium libjs-jquery libjs-jquery-flot
libjs-bootstrap libjs-jquery-stupidtable``), serves the copy on 127.0.0.1 and takes the
screenshot. ``PAGE`` is the part of the dashboard's address after ``#`` (a benchmark and its
parameter selection). Debian ships flot 4, whose legend and axis labels are its own: the copy
gives the legend a background and leaves out asv's axis-label plugin, so labels are not drawn
twice.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

HTML = Path(__file__).resolve().parent / "html"
JS = Path("/usr/share/javascript")
#: The CDN file names the dashboard asks for, and Debian's copies.
VENDOR = {
    "jquery-3.3.1.min.js": JS / "jquery" / "jquery.min.js",
    "jquery.flot.min.js": JS / "jquery-flot" / "jquery.flot.js",
    "jquery.flot.time.min.js": JS / "jquery-flot" / "jquery.flot.time.js",
    "jquery.flot.selection.min.js": JS / "jquery-flot" / "jquery.flot.selection.js",
    "jquery.flot.categories.min.js": JS / "jquery-flot" / "jquery.flot.categories.js",
    "stupidtable.min.js": JS / "jquery-stupidtable" / "stupidtable.min.js",
    "bootstrap.min.js": JS / "bootstrap" / "js" / "bootstrap.min.js",
    "bootstrap.min.css": JS / "bootstrap" / "css" / "bootstrap.min.css",
}
#: Not needed for a graph page (bar charts and the regressions page's ignore keys).
STUBS = {"jquery.flot.orderBars.js": "", "md5.min.js": "function md5(s) { return String(s); }\n"}
#: The legend's background only: flot 4 places each icon and each label in ``em`` of its own
#: element, so a font size set on the labels alone moves them off their icons, a little more
#: on each row (the colours then read as shifted by one from the eighth row on).
LEGEND_CSS = "<style>.legendLayer .background { fill: rgba(255, 255, 255, 0.9); stroke: #888; }</style>\n"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--virtual-time-budget=20000",
]


def offline_copy(html: Path, dest: Path) -> None:
    """Copy ``html`` to ``dest`` with every CDN script and style sheet served from ``dest/vendor``."""
    shutil.copytree(html, dest)
    vendor = dest / "vendor"
    vendor.mkdir()
    for name, source in VENDOR.items():
        shutil.copy(source, vendor / name)
    for name, text in STUBS.items():
        (vendor / name).write_text(text)
    index = (dest / "index.html").read_text()
    index = re.sub(r'(src|href)="https://[^"]+/([^"/]+)"', r'\1="vendor/\2"', index)
    index = re.sub(r'\s(?:integrity|crossorigin|referrerpolicy)="[^"]*"', "", index)
    index = index.replace("jquery.flot.axislabels.js", "vendor/jquery.flot.orderBars.js")
    index = index.replace("</head>", LEGEND_CSS + "</head>")
    (dest / "index.html").write_text(index)


def screenshot(out: Path, page: str = "", size: str = "1400,900") -> None:
    """Serve an offline copy of the dashboard on 127.0.0.1 and write ``out`` from headless Chromium."""
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "html"
        offline_copy(HTML, site)
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/index.html#{page}"
            subprocess.run(
                [
                    "chromium",
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={Path(tmp) / 'profile'}",
                    f"--window-size={size}",
                    f"--screenshot={out.resolve()}",
                    url,
                ],
                check=True,
                capture_output=True,
                timeout=180,
            )
        finally:
            server.shutdown()


if __name__ == "__main__":
    screenshot(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "")
