"""Quantitative efficiency/quality claims extracted from paper abstracts."""

from paperfeed.claims.claim import EXTRACTOR_VERSION, Claim
from paperfeed.claims.extract import extract_claims

__all__ = ["EXTRACTOR_VERSION", "Claim", "extract_claims"]
