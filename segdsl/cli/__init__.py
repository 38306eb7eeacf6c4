"""Stage 6: the `segdsl` command line (click). ``main.py`` holds the commands, ``common.py``
the options and error handling they share."""
