"""Quantitative efficiency/quality claims extracted from paper abstracts."""

from paperfeed.claims.extract import EXTRACTOR_VERSION, Claim, extract_claims

__all__ = ["EXTRACTOR_VERSION", "Claim", "extract_claims"]
