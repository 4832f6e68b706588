"""The portal's domain: accounts, rounds, submissions, publications and the audit log, in a database.

Above `service` (it calls the same check, score and report functions as the CLI) and below the web and
CLI layers, which only parse, call one function here and present.
"""
