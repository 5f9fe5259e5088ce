"""Reliability and security guarantees (issue 7): bad input, crash safety, concurrency, properties, fuzzing."""
