"""2.3.1 ⑧ physical security: AWS's data centres are AWS's responsibility; on-premises rooms by attestation."""

from __future__ import annotations

from ..attestations import attested
from ..attestations.model import ANSWERS_DATASET, DOCUMENTS_DATASET
from ..attestations.questions import item_questions
from . import ORG_SCOPE, check
from .context import CheckContext

CONTROL = "2.3.1-8"


def _ask(ctx: CheckContext, why_ja: str, why_en: str) -> None:
    questions = item_questions(CONTROL)
    ask_ja, ask_en = (questions.ask("ja"), questions.ask("en")) if questions else ("", "")
    ctx.manual(
        "on-premises facilities",
        f"{why_ja} 顧客への確認事項: {ask_ja}",
        f"{why_en} Ask the customer: {ask_en}",
        question_ja=ask_ja,
        question_en=ask_en,
    )


@check("physical_security", controls=[CONTROL], datasets=[DOCUMENTS_DATASET, ANSWERS_DATASET], scope=ORG_SCOPE)
def physical_security(ctx: CheckContext) -> None:
    # The AWS estate: physical security of AWS data centres is AWS's side of the shared responsibility model.
    ctx.not_applicable(
        "AWS data centres",
        "AWSのデータセンターの物理的セキュリティは責任共有モデルに基づきAWSの責任範囲です。"
        "AWS Artifactで第三者監査報告書（SOC 2、ISO/IEC 27001、FISC安全対策基準への対応状況等）を入手し確認してください。",
        "Physical security of AWS data centres is AWS's responsibility under the shared responsibility model. "
        "Obtain the third-party audit reports (SOC 2, ISO/IEC 27001, FISC) from AWS Artifact.",
    )
    item = attested(ctx, CONTROL)
    if item is None:
        _ask(
            ctx,
            "オンプレミス施設の物理的セキュリティについて回答が提出されていません。",
            "Nothing was attested about on-premises facilities.",
        )
        return
    rooms = item.answer("onprem_computer_rooms")
    if rooms is False:
        ctx.not_applicable(
            "on-premises facilities",
            "オンプレミスのコンピュータ室・データ保管施設はないと回答されています。",
            "The customer attests there are no on-premises computer rooms or data storage facilities.",
        )
        return
    controls = (item.answer("physical_access_controls") or "").strip()
    reviewed = item.answer("access_records_reviewed")
    if rooms is None or reviewed is None or not controls:
        _ask(
            ctx,
            "オンプレミス施設の入退室管理に関する回答が不足しています。",
            "The answers on on-premises physical access are incomplete.",
        )
        return
    if reviewed is True:
        ctx.passed(
            "on-premises facilities",
            f"オンプレミス施設の入退室は管理・記録され、記録は定期的に確認されていると回答されています（{controls}）。",
            f"Physical access to on-premises facilities is controlled and recorded, and the records are reviewed ({controls}).",
            controls=controls,
        )
    else:
        ctx.failed(
            "on-premises facilities",
            f"オンプレミス施設の入退室記録が定期的に確認されていません（管理方法: {controls}）。",
            f"Physical access records of on-premises facilities are not reviewed regularly (controls: {controls}).",
            severity="medium",
            controls=controls,
        )
