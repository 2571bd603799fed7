"""Search: lexical (BM25), semantic (vectors) and their fusion; similar papers."""

from paperfeed.search.hybrid import Hit, Searcher, SearchResult, get_searcher, search

__all__ = ["Hit", "SearchResult", "Searcher", "get_searcher", "search"]
