import sys

from feedserver.cli import main

# Guarded: a search process (store/search_process.py, started by the forkserver) imports the
# serving process's main module, which must not start a second server there.
if __name__ == "__main__":
    sys.exit(main())
