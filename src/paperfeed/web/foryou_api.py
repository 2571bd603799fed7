"""For you in the JSON API: the stateless recommendations endpoint and the signed-in feed."""

from __future__ import annotations

from typing import Annotated, Any

from annotated_types import Interval
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from paperfeed.accounts.foryou_marks import (
    mark_seen,
    reset_feed,
    set_interest,
    set_seed_texts,
    set_social,
)
from paperfeed.accounts.marks import PaperNotFound, set_not_interested
from paperfeed.accounts.users import User
from paperfeed.rank.foryou import Profile, recommend
from paperfeed.rank.foryou_ids import resolve_ids
from paperfeed.rank.foryou_signals import for_you, interests
from paperfeed.web.api import PaperId, changing, signed_in
from paperfeed.web.openapi import NOT_BLANK
from paperfeed.web.pages import OptDate, canonical_id, engine_of

router = APIRouter(prefix="/api", tags=["for you"])
JSON = dict[str, Any]
IdList = list[Annotated[str, Field(max_length=300)]]


class RecommendationsBody(BaseModel):
    """Papers the caller likes and dislikes (arXiv ids: bare, `arXiv:`-prefixed, versioned)."""

    model_config = ConfigDict(populate_by_name=True)
    positivePaperIds: IdList = Field(min_length=1, max_length=500)
    negativePaperIds: IdList = Field(default_factory=list, max_length=500)


@router.post("/recommendations", summary="Recommend papers from positive and negative ids",
             responses={404: {"description": "None of positivePaperIds is a stored paper."}})
def api_recommendations(request: Request, body: RecommendationsBody,
                        limit: Annotated[int, Query(ge=1, le=500)] = 100) -> JSON:
    """Stateless, no account needed (the engine of For you). Unknown ids are skipped; when
    none of the positives is stored the answer is 404 naming them. Positives and negatives
    are never recommended."""
    engine = engine_of(request)
    pos, bad = resolve_ids(engine, body.positivePaperIds)
    neg, _ = resolve_ids(engine, body.negativePaperIds)
    if not pos:
        raise HTTPException(404, "none of positivePaperIds is a stored paper: "
                                 + ", ".join(r for r, _ in bad[:10]))
    recs = recommend(engine, Profile(positives=dict.fromkeys(pos, 1.0), negatives=set(neg)),
                     k=limit)
    return {"recommendedPapers": [{"paperId": r.id, "title": r.title,
                                   "score": round(r.score, 4), "why": r.why} for r in recs]}


@router.get("/for-you", summary="Your For-you feed")
def api_for_you(request: Request, user: Annotated[User, Depends(signed_in)],
                limit: Annotated[int, Query(ge=1, le=100)] = 20,
                offset: Annotated[int, Query(ge=0, le=1000)] = 0,
                include_seen: bool = False, since: OptDate = None,
                social: Annotated[int | None, Query(ge=0, le=100)] = None) -> JSON:
    """Papers ranked for you, each with `why`; papers marked seen are left out unless
    `include_seen`. Reading this changes nothing: POST /api/for-you/seen records what you saw."""
    return for_you(engine_of(request), user.id, limit, offset,
                   since.isoformat() if since else None, include_seen, social)


class SeenBody(BaseModel):
    paperIds: IdList = Field(max_length=200)


@router.post("/for-you/seen", summary="Mark papers as seen")
def api_seen(request: Request, body: SeenBody, user: Annotated[User, Depends(changing)]
             ) -> JSON:
    """They no longer appear in For you (any version, any source)."""
    return {"marked": mark_seen(engine_of(request), user.id, body.paperIds)}


def _not_bool(value: object) -> object:
    if isinstance(value, bool):  # JSON true/false is not a number (pydantic would take 1/0)
        raise ValueError("expected a whole number from 0 to 100, not true or false")
    return value


class SettingsBody(BaseModel):
    social: Annotated[int, Interval(ge=0, le=100), BeforeValidator(_not_bool)] | None = Field(
        None, description="0 content only .. 100 social")
    seedTexts: list[Annotated[str, Field(max_length=5000)]] | None = Field(
        None, max_length=10, description="pasted abstracts or drafts")


@router.post("/for-you/settings", summary="Change For-you settings")
def api_settings(request: Request, body: SettingsBody,
                 user: Annotated[User, Depends(changing)]) -> JSON:
    """`social` mixes trending in; `seedTexts` are pasted abstracts or drafts to follow."""
    engine = engine_of(request)
    out: JSON = {}
    if body.social is not None:
        out["social"] = set_social(engine, user.id, body.social)
    if body.seedTexts is not None:
        out["seedTexts"] = set_seed_texts(engine, user.id, body.seedTexts)
    return out


@router.post("/for-you/reset", summary="Reset your feed")
def api_reset(request: Request, user: Annotated[User, Depends(changing)]) -> JSON:
    """Forget seen papers, "not interested", follows and mutes; earlier votes and saves stop
    counting (your library keeps them)."""
    reset_feed(engine_of(request), user.id)
    return {"reset": True}


class InterestBody(BaseModel):
    kind: str = Field(pattern="^(author|keyword|category)$")
    value: str = Field(min_length=1, max_length=200, json_schema_extra={"pattern": NOT_BLANK},
                       description="not only white space")
    mode: str | None = Field(None, pattern="^(follow|mute)$",
                             description="follow, mute, or null to forget")


@router.get("/for-you/interests", summary="Your followed and muted authors, words, categories")
def api_interests(request: Request, user: Annotated[User, Depends(signed_in)]) -> JSON:
    with engine_of(request).connect() as conn:
        return {"interests": interests(conn, user.id)}


@router.post("/for-you/interests", summary="Follow or mute an author, keyword or category")
def api_set_interest(request: Request, body: InterestBody,
                     user: Annotated[User, Depends(changing)]) -> JSON:
    """Muted authors and keywords never appear in For you, digests or personal feeds."""
    try:
        return set_interest(engine_of(request), user.id, body.kind, body.value, body.mode)
    except ValueError as e:
        raise HTTPException(422, str(e)) from None


def _hide(request: Request, paper_id: str, user: User, on: bool) -> JSON:
    try:
        return set_not_interested(engine_of(request), user.id, canonical_id(paper_id), on)
    except PaperNotFound as e:
        raise HTTPException(404, f"no paper {e.args[0]!r} here") from None


@router.post("/not-interested/{paper_id:path}", summary="Not interested in a paper")
def api_not_interested(request: Request, paper_id: PaperId,
                       user: Annotated[User, Depends(changing)]) -> JSON:
    """Hidden from your lists, and For you steers away from papers like it."""
    return _hide(request, paper_id, user, True)


@router.delete("/not-interested/{paper_id:path}", summary="Undo not interested")
def api_interested_again(request: Request, paper_id: PaperId,
                         user: Annotated[User, Depends(changing)]) -> JSON:
    return _hide(request, paper_id, user, False)
