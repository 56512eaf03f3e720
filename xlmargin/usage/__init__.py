"""Provider usage and cost exports, read into one record type and attributed to clients.

One module per source family (``openai_api``, ``openai_csv``, ``anthropic_api``,
``anthropic_csv``, ``litellm``, ``plain``); ``detect`` picks one from a file's content and
``aggregate`` attributes, prices and sums the records (``xlmargin import-usage``).
"""
