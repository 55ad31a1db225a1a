#!/usr/bin/env bash
# Writes the English corpus of the shipped model "austen" into packages/models/.cache/austen/ (git-ignored):
#   raw/<n>.txt     each novel exactly as Debian's r-cran-janeaustenr ships it (Project Gutenberg text, hard-wrapped)
#   train.txt       the training split, val.txt the validation split (see prepare-austen.ts for the cleaning and split)
# Jane Austen's six novels are public domain. Installs R and r-cran-janeaustenr with apt-get when they are missing.
#   bash packages/models/scripts/prepare-austen.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cache="$root/packages/models/.cache/austen"

if ! command -v Rscript >/dev/null || ! Rscript -e 'library(janeaustenr)' >/dev/null 2>&1; then
  echo "== installing system packages: r-base-core r-cran-janeaustenr"
  SUDO=''
  [ "$(id -u)" -eq 0 ] || SUDO='sudo'
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends r-base-core r-cran-janeaustenr
fi

mkdir -p "$cache/raw"
# One file per novel, in the package's order (publication order within the package: S&S, P&P, MP, Emma, NA, P).
Rscript -e '
  library(janeaustenr)
  args <- commandArgs(trailingOnly = TRUE)
  b <- austen_books()
  books <- levels(b$book)
  for (i in seq_along(books)) {
    f <- file.path(args[1], sprintf("%d.txt", i))
    con <- file(f, open = "w", encoding = "UTF-8")
    writeLines(as.character(b$text[b$book == books[i]]), con)
    close(con)
    cat(sprintf("%d %s: %d lines\n", i, books[i], sum(b$book == books[i])))
  }
' "$cache/raw"

cd "$root"
npx tsx packages/models/scripts/prepare-austen.ts "$cache"
