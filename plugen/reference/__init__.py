"""The paper's numbers as data (:mod:`.paper`: Tables 1-3, the speed claim and the stated protocol
facts, transcribed from ``paper_tables.txt``). What each experiment reports beside its own
tables lives in its folder's ``reference.py``."""
