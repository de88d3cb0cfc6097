"""Demo licensed operation of public data; `manage.py seed_demo` loads it after the catalogue.

Two operators: the city's state-owned big-data group, which holds an active licence, sells an
approved product, has a second product under review, filed its annual disclosure and is being
audited; and a private company, whose older licence is active, whose new application waits for
the bureau, and whose annual disclosure is missing. Everything goes through operations.services
with the acting person: the bureau's officer licenses, reviews and assigns audits, the operators'
staff build products, record trades, file disclosures and answer findings, the audit firm's staff
audits.

Dates that cannot be honest are not faked: a product is registered today, so its trades are dated
today too (the service refuses trades before a product exists), and last year's disclosure reports
the licence but no products or trades.

Idempotent: operators are known by credit code, the audit firm by certificate number, licences by
number, products by name, trades by buyer, the audit by firm and licence, findings by text.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import DataItem, DataResource, User
from govdata.roles import Role

from . import services
from .choices import (
    AuditStatus,
    DesensitizationMethod,
    Distribution,
    FeeModel,
    Generalization,
    LicenseStatus,
    OperatorNature,
    ProductStatus,
    Severity,
)
from .models import (
    AnnualDisclosure,
    Audit,
    AuditFirm,
    DataProduct,
    DesensitizationRule,
    Finding,
    OperatingLicense,
    Operator,
    Trade,
    credit_code_check_char,
)

CREATION_REASON = "演示数据初始化"


def credit_code(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


# --- Organisations and their demo logins ------------------------------------------------------

OPERATORS = [
    {
        "key": "sjjt",
        "name": "市大数据集团有限公司",
        "credit_code": credit_code("91330100MA2H3K7Q0"),
        "nature": OperatorNature.STATE_OWNED,
        "contact_name": "钱思远",
        "contact_email": "operation@sjjt.example.com",
        "user": {"username": "operator_sjjt", "name": ("钱", "思远")},
    },
    {
        "key": "ytkj",
        "name": "云图数智科技股份有限公司",
        "credit_code": credit_code("91330106MA27XY5L3"),
        "nature": OperatorNature.PRIVATE,
        "contact_name": "冯可欣",
        "contact_email": "compliance@ytkj.example.com",
        "user": {"username": "operator_ytkj", "name": ("冯", "可欣")},
    },
]

AUDIT_FIRM = {
    "name": "正衡数据合规审计事务所（特殊普通合伙）",
    "certificate_number": "SJHG-SJ-2024-0007",
    "user": {"username": "auditor_firm", "name": ("蒋", "文博")},
}

# The demo logins this module adds, in the order the login table lists them.
USERNAMES = [spec["user"]["username"] for spec in OPERATORS] + [AUDIT_FIRM["user"]["username"]]

# --- Licences ------------------------------------------------------------------------------------
# "first_year": the term starts on 1 January (or 1 July) of the year whose disclosure is now owed,
# relative to which the terms are placed, so that the demo shows one filed and one missing report.

LICENSES = [
    {
        "number": "SQYY-XK-0001",
        "operator": "sjjt",
        "resources": ["SJ-0001", "SJ-0003", "SW-0004"],
        "scope": "市场主体登记和纳税信用领域公共数据的授权运营："
        "对脱敏后的市场主体登记、个体工商户登记和欠税公告数据进行加工，"
        "形成企业信用评价类数据产品",
        "permitted_uses": "普惠金融授信辅助、商业信用评价和营商环境分析；"
        "不得用于对自然人的画像和精准营销，不得向境外提供",
        "start": (0, 1, 1),
        "end": (4, 12, 31),
        "fee_model": FeeModel.REVENUE_SHARE,
        "fee_terms": "按数据产品年度营业收入的5%缴纳公共数据授权运营费，每年3月底前结算上一年度",
        "price_cap": Decimal("20000.00"),
        "conditions": "产品上线前须经市大数据局审核；个人信息须全部脱敏；"
        "每年3月底前报送上一年度运营情况；接受第三方审计",
        "status": LicenseStatus.ACTIVE,
    },
    {
        "number": "SQYY-XK-0002",
        "operator": "ytkj",
        "resources": ["JT-0003", "JJ-0007"],
        "scope": "交通出行领域公共数据的授权运营："
        "对网约车运输证和机动车安全技术检验数据进行加工，形成车辆风险评估类数据产品",
        "permitted_uses": "机动车保险定价辅助、车队安全管理；不得还原车辆所有人身份",
        "start": (0, 7, 1),
        "end": (3, 6, 30),
        "fee_model": FeeModel.PER_USE,
        "fee_terms": "按数据产品调用次数每次0.2元缴纳授权运营费",
        "price_cap": Decimal("5000.00"),
        "conditions": "仅在市公共数据授权运营平台的隔离环境中加工；结果数据不含车牌号码明文",
        "status": LicenseStatus.ACTIVE,
    },
    {
        "number": "SQYY-XK-0003",
        "operator": "ytkj",
        "resources": ["HJ-0001", "HJ-0003"],
        "scope": "生态环境领域公共数据的授权运营："
        "对排污许可和重点排污单位自动监控数据进行加工，形成企业环境信用评价产品",
        "permitted_uses": "绿色信贷、绿色债券的环境风险评估",
        "start": (2, 1, 1),
        "end": (4, 12, 31),
        "fee_model": FeeModel.FLAT,
        "fee_terms": "每年授权运营费20万元",
        "price_cap": Decimal("8000.00"),
        "conditions": "须取得数据安全管理认证后方可上线产品",
        "status": LicenseStatus.APPLIED,
    },
]

LICENSE_APPROVE_REASON = "申请材料齐全，运营方案和安全保障措施经专家评审通过，授权资源均非核心数据，准予许可"
LICENSE_ACTIVATE_REASON = "授权运营协议已签订，运营环境通过安全检测，许可生效"

# --- Products and trades ---------------------------------------------------------------------------

PRODUCTS = [
    {
        "name": "小微企业信用画像（月度版）",
        "license": "SQYY-XK-0001",
        "description": "以市场主体登记、个体工商户登记和欠税公告数据为基础，按月输出小微企业和个体工商户的经营稳定性、"
        "欠税风险等指标，供金融机构普惠授信参考。自然人信息全部脱敏。",
        "distribution": Distribution.TRADED,
        "list_price": Decimal("12000.00"),
        "items": {
            "SJ-0001": ["TYSHXYDM", "QYMC", "FDDBR", "ZCZB", "CLRQ", "DJZT"],
            "SJ-0003": ["TYSHXYDM", "ZHMC", "JYZXM", "GMSFHM", "ZCRQ"],
            "SW-0004": ["NSRSBH", "QSSZ", "QSYE", "GGRQ"],
        },
        "rules": [
            ("SJ-0003", "GMSFHM", DesensitizationMethod.MASK, {"keep_prefix": 3, "keep_suffix": 2}),
            ("SJ-0003", "JYZXM", DesensitizationMethod.MASK, {"keep_prefix": 1, "keep_suffix": 0}),
            # The same legal representative gets the same token in every monthly release.
            ("SJ-0001", "FDDBR", DesensitizationMethod.PSEUDONYMIZE, {}),
            ("SJ-0003", "ZCRQ", DesensitizationMethod.GENERALIZE, {"kind": Generalization.DATE_TO_MONTH}),
        ],
        "status": ProductStatus.APPROVED,
        "review_reason": "脱敏规则覆盖全部个人信息项，抽样检查未发现可识别个人的信息，准予上架交易",
    },
    {
        "name": "市场主体登记动态数据集",
        "license": "SQYY-XK-0001",
        "description": "每日更新的新设立、注销市场主体名录，面向社会免费开放，法定代表人信息不予提供。",
        "distribution": Distribution.OPEN,
        "list_price": None,
        "items": {"SJ-0001": ["TYSHXYDM", "QYMC", "QYLX", "CLRQ", "DJZT", "FDDBR"]},
        "rules": [("SJ-0001", "FDDBR", DesensitizationMethod.SUPPRESS, {})],
        "status": ProductStatus.SUBMITTED,
    },
]

TRADES = [
    # (product, buyer, first 17 characters of the buyer's credit code, price)
    ("小微企业信用画像（月度版）", "江南农村商业银行股份有限公司", "91330100MA2KQ8R61", Decimal("12000.00")),
    ("小微企业信用画像（月度版）", "恒信融资担保有限公司", "91330102MA2CJ4N73", Decimal("9600.00")),
    ("小微企业信用画像（月度版）", "安泰财产保险股份有限公司本市分公司", "91330100MA27U0P25", Decimal("18000.00")),
    ("小微企业信用画像（月度版）", "鑫诚小额贷款有限公司", "91330105MA2B7W1X4", Decimal("12000.00")),
]

DISCLOSURE_STATEMENT = (
    "本年度为授权运营的准备期：公司完成了数据产品开发环境建设、数据安全评估和脱敏规则设计，"
    "未上架数据产品，未发生数据产品交易，未超出许可范围使用公共数据。"
)

# --- The audit -------------------------------------------------------------------------------------

AUDIT = {"operator": "sjjt", "license": "SQYY-XK-0001"}
FINDINGS = [
    {
        "severity": Severity.MEDIUM,
        "description": "数据产品“小微企业信用画像（月度版）”的假名化密钥未规定轮换周期，也未明确保管责任人",
        "remediation": "制定假名化密钥管理制度，明确轮换周期、保管责任人和访问审批流程，并报市大数据局备案",
        "due_in_days": 30,
        "answer": "已制定《数据产品假名化密钥管理办法》：密钥每年轮换一次，由安全管理部专人保管，调用须经双人审批；"
        "该办法已报市大数据局备案",
    },
    {
        "severity": Severity.HIGH,
        "description": "部分数据产品交易合同未约定买方不得对脱敏数据进行重新识别，也未约定数据使用期限",
        "remediation": "修订数据产品交易合同范本，补充禁止重新识别、使用期限和违约责任条款，并与已成交买方签订补充协议",
        "due_in_days": 60,
    },
]


# --- Loading ---------------------------------------------------------------------------------------


def _year_owed(today: date) -> int:
    """The latest year whose disclosure is already due (last year once its deadline has passed)."""
    return services.operators_missing_disclosure(today=today)[1]


def _term(spec, year: int) -> tuple[date, date]:
    (start_offset, start_month, start_day), (end_offset, end_month, end_day) = spec["start"], spec["end"]
    return date(year + start_offset, start_month, start_day), date(year + end_offset, end_month, end_day)


class _Loader:
    def __init__(self, officer, ensure_user):
        self.officer = officer
        self.ensure_user = ensure_user
        self.created = Counter()
        self.today = timezone.localdate()
        self.year = _year_owed(self.today)
        self.operators: dict[str, Operator] = {}
        self.staff: dict[str, User] = {}
        self.staff_of_operator: dict[int, User] = {}
        self.licenses: dict[str, OperatingLicense] = {}
        self.products: dict[str, DataProduct] = {}

    def _count(self, model) -> None:
        self.created[model] += 1

    def _staff_member(self, organisation, spec, role: Role) -> User:
        user = self.ensure_user(
            username=spec["username"], role=role.value, department=None, name=spec["name"], actor=self.officer
        )
        if not user.groups.filter(pk=organisation.staff_group_id).exists():
            services.staff_add(organisation=organisation, user=user, actor=self.officer)
        # A fresh instance: the role and staff group were just given, and permission caches would miss them.
        return User.objects.get(pk=user.pk)

    def operators_and_staff(self):
        for spec in OPERATORS:
            with transaction.atomic():
                operator = Operator.objects.filter(credit_code=spec["credit_code"]).first()
                if operator is None:
                    operator = services.organisation_save(
                        organisation=Operator(
                            name=spec["name"],
                            credit_code=spec["credit_code"],
                            nature=spec["nature"],
                            contact_name=spec["contact_name"],
                            contact_email=spec["contact_email"],
                        ),
                        actor=self.officer,
                        reason=CREATION_REASON,
                    )
                    self._count(Operator)
                self.operators[spec["key"]] = operator
                self.staff[spec["key"]] = self._staff_member(operator, spec["user"], Role.OPERATOR_USER)
                self.staff_of_operator[operator.pk] = self.staff[spec["key"]]

    def audit_firm(self) -> tuple[AuditFirm, User]:
        with transaction.atomic():
            firm = AuditFirm.objects.filter(certificate_number=AUDIT_FIRM["certificate_number"]).first()
            if firm is None:
                firm = services.organisation_save(
                    organisation=AuditFirm(
                        name=AUDIT_FIRM["name"],
                        certificate_number=AUDIT_FIRM["certificate_number"],
                        certified_until=date(self.today.year + 2, 12, 31),
                    ),
                    actor=self.officer,
                    reason=CREATION_REASON,
                )
                self._count(AuditFirm)
            return firm, self._staff_member(firm, AUDIT_FIRM["user"], Role.AUDIT_FIRM_USER)

    def licences(self):
        existing = {
            lic.number: lic for lic in OperatingLicense.objects.filter(number__in=[s["number"] for s in LICENSES])
        }
        codes = {code for spec in LICENSES for code in spec["resources"]}
        resources = {r.catalogue_code: r for r in DataResource.objects.filter(catalogue_code__in=codes)}
        for spec in LICENSES:
            if spec["number"] in existing:
                self.licenses[spec["number"]] = existing[spec["number"]]
                continue
            term_start, term_end = _term(spec, self.year)
            with transaction.atomic():
                license = services.license_save(
                    license=OperatingLicense(
                        number=spec["number"],
                        operator=self.operators[spec["operator"]],
                        scope=spec["scope"],
                        permitted_uses=spec["permitted_uses"],
                        term_start=term_start,
                        term_end=term_end,
                        fee_model=spec["fee_model"],
                        fee_terms=spec["fee_terms"],
                        price_cap=spec["price_cap"],
                        conditions=spec["conditions"],
                    ),
                    actor=self.officer,
                    resources=[resources[c] for c in spec["resources"]],
                    reason=CREATION_REASON,
                )
                if spec["status"] == LicenseStatus.ACTIVE:
                    services.license_approve(license=license, actor=self.officer, reason=LICENSE_APPROVE_REASON)
                    services.license_activate(license=license, actor=self.officer, reason=LICENSE_ACTIVATE_REASON)
                self._count(OperatingLicense)
            self.licenses[spec["number"]] = license

    def products_and_trades(self):
        existing = {p.name: p for p in DataProduct.objects.filter(name__in=[s["name"] for s in PRODUCTS])}
        codes = {code for spec in PRODUCTS for code in spec["items"]}
        items = {
            (i.resource.catalogue_code, i.code): i
            for i in DataItem.objects.filter(resource__catalogue_code__in=codes).select_related("resource")
        }
        for spec in PRODUCTS:
            if spec["name"] in existing:
                self.products[spec["name"]] = existing[spec["name"]]
                continue
            license = self.licenses[spec["license"]]
            staff = self.staff_of_operator[license.operator_id]
            with transaction.atomic():
                product = services.product_save(
                    product=DataProduct(
                        license=license,
                        name=spec["name"],
                        description=spec["description"],
                        distribution=spec["distribution"],
                        list_price=spec["list_price"],
                    ),
                    actor=staff,
                    items=[items[(r, c)] for r, codes in spec["items"].items() for c in codes],
                    rules=[
                        DesensitizationRule(item=items[(r, c)], method=method, params=params)
                        for r, c, method, params in spec["rules"]
                    ],
                    reason=CREATION_REASON,
                )
                services.product_submit(product=product, actor=staff)
                if spec["status"] == ProductStatus.APPROVED:
                    services.product_approve(product=product, actor=self.officer, reason=spec["review_reason"])
                self._count(DataProduct)
            self.products[spec["name"]] = product
        sold = set(Trade.objects.values_list("product__name", "buyer"))
        for name, buyer, code17, price in TRADES:
            if (name, buyer) in sold:
                continue
            product = self.products[name]
            staff = self.staff_of_operator[product.license.operator_id]
            services.trade_record(
                product=product,
                actor=staff,
                buyer=buyer,
                buyer_credit_code=credit_code(code17),
                price=price,
                traded_on=self.today,
            )
            self._count(Trade)

    def disclosure(self):
        operator = self.operators["sjjt"]
        if not AnnualDisclosure.objects.filter(operator=operator, year=self.year).exists():
            services.disclosure_file(
                operator=operator, year=self.year, actor=self.staff["sjjt"], statement=DISCLOSURE_STATEMENT
            )
            self._count(AnnualDisclosure)

    def audit(self, firm: AuditFirm, auditor: User):
        license = self.licenses[AUDIT["license"]]
        operator = self.operators[AUDIT["operator"]]
        with transaction.atomic():
            audit = Audit.objects.filter(firm=firm, operator=operator, license=license).first()
            if audit is None:
                audit = services.audit_assign(
                    firm=firm,
                    operator=operator,
                    actor=self.officer,
                    license=license,
                    period_start=date(self.year, 1, 1),
                    period_end=date(self.year, 12, 31),
                )
                services.audit_set_status(
                    audit=audit,
                    actor=auditor,
                    status=AuditStatus.IN_PROGRESS,
                    reason="进场审计，调阅运营日志和交易合同",
                )
                self._count(Audit)
            filed = set(audit.findings.values_list("description", flat=True))
            for spec in FINDINGS:
                if spec["description"] in filed:
                    continue
                finding = services.finding_file(
                    audit=audit,
                    actor=auditor,
                    severity=spec["severity"],
                    description=spec["description"],
                    remediation=spec["remediation"],
                    due_date=self.today + timedelta(days=spec["due_in_days"]),
                )
                if spec.get("answer"):
                    services.finding_answer(
                        finding=finding, actor=self.staff[AUDIT["operator"]], response=spec["answer"]
                    )
                self._count(Finding)

    def run(self):
        self.operators_and_staff()
        firm, auditor = self.audit_firm()
        self.licences()
        with transaction.atomic():
            self.products_and_trades()
        self.disclosure()
        self.audit(firm, auditor)


def seed_operations(*, officer, stdout, ensure_user=None) -> dict:
    """Load the missing demo operators, licences, products, trades, disclosure and audit.

    `ensure_user(username=, role=, department=, name=, actor=)` creates or resets a demo login with
    the demo password; seed_demo passes its own, so every demo login is made the same way.
    """
    if ensure_user is None:
        from catalog.management.commands.seed_demo import Seeder

        ensure_user = Seeder()._ensure_user
    loader = _Loader(officer, ensure_user)
    loader.run()
    if loader.created:
        stdout.write(
            _("Operations: created %(objects)s.")
            % {"objects": ", ".join(f"{model._meta.verbose_name_plural} {n}" for model, n in loader.created.items())}
        )
    return {model._meta.label: n for model, n in loader.created.items()}
