# Shared set-up for the scripts in this folder: sourced, not run.
# Creates .venv with Python 3.11+ and installs what the project needs, once.

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$PROJECT_ROOT/.venv"

find_python() {
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Lifelong needs Python 3.11 or newer; none was found on PATH." >&2
  return 1
}

# ensure_venv REQUIREMENTS_FILE: install the file's packages into .venv when it changed.
ensure_venv() {
  local requirements="$PROJECT_ROOT/$1" stamp="$VENV/.installed-$1"
  if [ ! -x "$VENV/bin/python" ]; then
    "$(find_python)" -m venv "$VENV"
  fi
  if [ ! -f "$stamp" ] || [ "$requirements" -nt "$stamp" ] || [ "$PROJECT_ROOT/requirements.txt" -nt "$stamp" ]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    touch "$stamp"
  fi
}

# ensure_browser_tools: Debian's chromium for the browser tests and axe-core from npm.
ensure_browser_tools() {
  if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "Installing Debian's chromium for the browser tests..." >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
    else
      echo "The browser tests need Debian's chromium: sudo apt-get install chromium fonts-noto-cjk" >&2
      return 1
    fi
  fi
  if [ ! -f "$PROJECT_ROOT/node_modules/axe-core/axe.min.js" ] ||
     [ "$PROJECT_ROOT/package-lock.json" -nt "$PROJECT_ROOT/node_modules/axe-core/axe.min.js" ]; then
    (cd "$PROJECT_ROOT" && npm ci --silent --no-audit --no-fund)
  fi
}
