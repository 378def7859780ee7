"""Create the project's virtualenv with pip in it, even where Debian's python3-venv (ensurepip)
is not installed: then pip's wheel is fetched from PyPI and installs itself."""

import json
import subprocess
import sys
import urllib.request
import venv
from pathlib import Path


def main(target: str) -> None:
    path = Path(target)
    python = path / "bin" / "python"
    if (
        python.exists()
        and subprocess.run([python, "-m", "pip", "--version"], capture_output=True).returncode == 0
    ):
        return
    try:
        venv.create(path, with_pip=True, clear=True)
        return
    except (subprocess.CalledProcessError, OSError) as error:
        print(f"ensurepip is not available ({error}); fetching pip from PyPI instead.")
    venv.create(path, with_pip=False, clear=True)
    with urllib.request.urlopen("https://pypi.org/pypi/pip/json", timeout=60) as response:
        release = json.load(response)
    wheel = next(f for f in release["urls"] if f["packagetype"] == "bdist_wheel")
    wheel_path = path / wheel["filename"]
    with urllib.request.urlopen(wheel["url"], timeout=120) as response:  # noqa: S310
        wheel_path.write_bytes(response.read())
    subprocess.run(
        [python, f"{wheel_path}/pip", "install", "--no-index", str(wheel_path)], check=True
    )
    wheel_path.unlink()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".venv")
