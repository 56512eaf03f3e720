"""Pulling usage and cost pages from the providers' admin APIs (``xlmargin pull``).

``http``: one GET with time-outs, retries and errors that never show the key; ``endpoints``:
what each provider serves and the query each needs; ``store``: the page files, one per
endpoint and calendar month, and the half-pulled ones a later run resumes; ``run``: a pull.
The HTTP client (httpx2) is imported only here, never by the Excel functions."""
