"""Demo share agreements and their usage records; `manage.py seed_demo` loads them after the catalogue.

Every agreement is requested by the using department's liaison, decided by the providing
department's liaison and the bureau's officer, and used by the using department, all through
sharing.services, so its history, ledger and grants are exactly those a real one would have.

What cannot be shown honestly is left out: an agreement is only approved while its period has not
ended and only expires once it has, so no agreement is "expired"; a decision falls due ten working
days after today's submission, so none is overdue. Uses are dated over the last 90 days, inside the
agreements' periods (which began earlier), although the approval steps themselves are dated today.

Idempotent: an agreement is known by its requesting department and purpose; one that exists is
left as it is, with its uses. Each agreement (steps and uses) is loaded in one transaction.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.choices import ShareType
from catalog.models import DataItem, User
from govdata.roles import Role

from . import services
from .choices import MODE_RANK, AgreementStatus, UsageMode, UsageOutcome
from .models import ShareAgreement, UsageRecord

S = AgreementStatus

APPROVE_REASON = "共享范围、用途和使用方式符合《政务数据共享条例》规定，准予共享"
PROVIDER_APPROVE_REASON = "申请事项与使用部门法定职责相符，所列信息项满足最小必要原则，同意共享"
REGULATION = "《政务数据共享条例》（国务院令第809号）"
# How many days of uses the demo shows, and how often a reported use falls outside its agreement.
USAGE_WINDOW_DAYS = 90
REFUSAL_EVERY = 12

# Each agreement: parties (department codes), the requested items per catalogue code, mode, texts,
# the period (start relative to today, length in years), the state to reach and what it takes.
# "uses": how many uses the exchange system reports; "end_users": who used the data; "ref": the
# prefix of the business reference a use carries.
AGREEMENTS = [
    {
        "requester": "SJ",
        "provider": "GA",
        "items": {"GA-0001": ["GMSFHM", "XM"]},
        "mode": UsageMode.VERIFY,
        "purpose": "企业开办“一网通办”：设立、变更登记时核验法定代表人、"
        "股东等自然人身份信息的真实性，防范冒用他人身份登记",
        "legal_basis": "《中华人民共和国市场主体登记管理条例》；"
        f"{REGULATION}关于使用部门因依法履职需要申请有条件共享数据的规定",
        "contact": "周建国（登记注册处处长）",
        "provider_contact": "王建华（人口管理支队副支队长）",
        "start": -210,
        "years": 3,
        "status": S.ACTIVE,
        "uses": 50,
        "end_users": ["登记注册处 陈敏", "政务服务中心市场监管窗口 刘婷", "高新区分局 赵磊"],
        "ref": "QYDJ",
    },
    {
        "requester": "RS",
        "provider": "SW",
        "items": {"SW-0001": ["NSRSBH", "NSRMC", "TYSHXYDM", "NSRZT"]},
        "mode": UsageMode.QUERY,
        "purpose": "社会保险单位参保登记和稽核时查询用人单位纳税人登记状态，及时识别已注销、非正常户单位",
        "legal_basis": f"《中华人民共和国社会保险法》；{REGULATION}：无条件共享的政务数据由使用部门依法获取",
        "contact": "孙丽华（社会保险基金监督处处长）",
        "start": -180,
        "years": 3,
        "status": S.ACTIVE,
        "uses": 25,
        "end_users": ["社会保险事业管理中心 钱宇", "社会保险基金监督处 吴洁"],
        "ref": "SBJH",
    },
    {
        "requester": "SW",
        "provider": "ZR",
        "items": {"ZR-0001": ["BDCDYH", "ZL", "QLRMC", "QLRZJHM", "MJ", "YT"]},
        "mode": UsageMode.QUERY,
        "purpose": "办理不动产交易契税征收及存量房交易计税价格核定时，查询不动产权属、面积和用途信息",
        "legal_basis": "《中华人民共和国契税法》：自然资源、"
        "住房城乡建设等相关部门应当及时向税务机关提供与转移土地、房屋权属有关的信息",
        "contact": "黄振宇（财产和行为税处处长）",
        "provider_contact": "杨帆（不动产登记中心副主任）",
        "start": -365,
        "years": 3,
        "status": S.ACTIVE,
        "uses": 30,
        "end_users": ["第一税务分局 契税窗口 何静", "第三税务分局 契税窗口 罗斌"],
        "ref": "QSZS",
    },
    {
        "requester": "MZ",
        "provider": "RS",
        "items": {"RS-0001": ["GMSFHM", "XM", "CBZT", "JFJS"]},
        "mode": UsageMode.VERIFY,
        "purpose": "最低生活保障、特困人员认定中核对申请家庭成员的社会保险参保状态和缴费基数（收入）情况",
        "legal_basis": "《社会救助暂行办法》关于民政部门可以通过社会保险等单位代为查询、"
        "核对申请家庭收入和财产状况的规定；" + REGULATION,
        "contact": "赵丽萍（社会救助处副处长）",
        "provider_contact": "张伟（信息中心主任）",
        "start": -150,
        "years": 2,
        "status": S.ACTIVE,
        "uses": 25,
        "end_users": ["居民家庭经济状况核对中心 冯雪", "社会救助处 蒋涛"],
        "ref": "DBHD",
    },
    {
        "requester": "GA",
        "provider": "WJ",
        "items": {"WJ-0001": ["CSYXZMBH", "XSEXM", "XB", "CSRQ", "MQSFHM", "FQSFHM"]},
        "mode": UsageMode.QUERY,
        "purpose": "新生儿出生“一件事”联办：办理出生登记（户口申报）时调取出生医学证明信息，群众免交纸质证明",
        "legal_basis": "《中华人民共和国户口登记条例》第七条：婴儿出生后一个月以内，"
        "应当向婴儿常住地户口登记机关申报出生登记；" + REGULATION,
        "contact": "王建华（人口管理支队副支队长）",
        "provider_contact": "孙志刚（妇幼健康处处长）",
        "start": -300,
        "years": 3,
        "status": S.ACTIVE,
        "uses": 30,
        "end_users": ["城东派出所户籍室 林晓", "城西派出所户籍室 郭强", "政务服务中心公安窗口 唐芳"],
        "ref": "CSDJ",
    },
    {
        "requester": "ZJ",
        "provider": "MZ",
        "items": {"MZ-0001": ["NFSFHM", "NVFSFHM", "DJLX", "HYZK"]},
        "mode": UsageMode.VERIFY,
        "purpose": "保障性住房申请资格审核中核验申请人婚姻状况，确认申请家庭成员构成",
        "legal_basis": "《公共租赁住房管理办法》（住房和城乡建设部令第11号）；" + REGULATION,
        "contact": "郑浩（住房保障处副处长）",
        "provider_contact": "赵丽萍（婚姻登记管理处）",
        "start": -120,
        "years": 2,
        "status": S.ACTIVE,
        "uses": 20,
        "end_users": ["住房保障服务中心 韩梅", "住房保障处 邓超"],
        "ref": "BZFSH",
    },
    {
        "requester": "JY",
        "provider": "GA",
        "items": {"GA-0001": ["GMSFHM", "XM", "HJDZ"]},
        "mode": UsageMode.VERIFY,
        "purpose": "义务教育新生入学报名时核验适龄儿童户籍信息，落实免试就近入学",
        "legal_basis": "《中华人民共和国义务教育法》第十二条：适龄儿童、少年免试入学，"
        "地方各级人民政府应当保障其在户籍所在地学校就近入学；" + REGULATION,
        "contact": "吴静（基础教育处处长）",
        "provider_contact": "王建华（人口管理支队副支队长）",
        "start": -240,
        "years": 3,
        "status": S.ACTIVE,
        "uses": 30,
        "end_users": ["基础教育处 许诺", "城东区教育局招生办 彭飞"],
        "ref": "YWRX",
    },
    {
        "requester": "RS",
        "provider": "SJ",
        "items": {"SJ-0001": ["TYSHXYDM", "QYMC", "FDDBR", "CLRQ", "DJZT"]},
        "mode": UsageMode.BULK,
        "purpose": "“多证合一”改革：每日批量获取新登记市场主体信息，主动推送社会保险登记提醒",
        "legal_basis": "《国务院办公厅关于加快推进“多证合一”改革的指导意见》（国办发〔2017〕41号）；" + REGULATION,
        "contact": "张伟（信息中心主任）",
        "start": -400,
        "years": 3,
        "status": S.ACTIVE,
        "uses": 15,
        "end_users": ["信息中心数据交换平台"],
        "ref": "DZHY",
    },
    {
        "requester": "GA",
        "provider": "MZ",
        "items": {"MZ-0005": ["GMSFHM", "XM", "SWRQ", "HHRQ"]},
        "mode": UsageMode.QUERY,
        "purpose": "依据殡葬火化信息及时办理死亡人员户口注销，减少“人已故、户未销”",
        "legal_basis": "《中华人民共和国户口登记条例》第八条：公民死亡，应当在户口登记机关申报死亡、注销户口；"
        + REGULATION,
        "contact": "王建华（人口管理支队副支队长）",
        "provider_contact": "赵丽萍（社会事务处）",
        "start": -200,
        "years": 3,
        "status": S.ACTIVE,
        "uses": 25,
        "end_users": ["人口管理支队 沈洁", "城南派出所户籍室 曹阳"],
        "ref": "HJZX",
    },
    {
        "requester": "MZ",
        "provider": "WJ",
        "items": {"WJ-0002": ["GMSFHM", "XM", "SWRQ"]},
        "mode": UsageMode.VERIFY,
        "purpose": "社会救助对象动态管理：核验救助对象死亡信息，及时停发救助金，防止冒领",
        "legal_basis": "《社会救助暂行办法》；" + REGULATION,
        "contact": "赵丽萍（社会救助处副处长）",
        "provider_contact": "孙志刚（规划发展与信息化处）",
        "start": -130,
        "years": 2,
        "status": S.ACTIVE,
        "uses": 20,
        "end_users": ["社会救助处 蒋涛"],
        "ref": "JZDT",
    },
    {
        "requester": "JT",
        "provider": "JJ",
        "items": {"JJ-0002": ["JSZH", "GMSFHM", "ZJCX", "LJJF", "JSRZT"]},
        "mode": UsageMode.VERIFY,
        "purpose": "网络预约出租汽车驾驶员证核发前，核验申请人驾驶证状态、准驾车型及记分情况",
        "legal_basis": "《网络预约出租汽车经营服务管理暂行办法》关于驾驶员取得相应准驾车型机动车驾驶证、"
        "无交通肇事犯罪记录等条件的规定；" + REGULATION,
        "contact": "马俊（运输服务处副处长）",
        "provider_contact": "刘洋（车辆和驾驶人管理科科长）",
        "start": -160,
        "years": 2,
        "status": S.SUSPENDED,
        "reason": "调用记录显示使用部门在非工作时段集中发起大量核验请求，"
        "与约定的逐笔核验方式不符；暂停共享，待使用部门说明情况并整改",
        "uses": 12,
        "attempts_after": 2,
        "end_users": ["运输服务处 梁宏", "网约车管理科 任雪"],
        "ref": "WYCZ",
    },
    {
        "requester": "HJ",
        "provider": "SJ",
        "items": {"SJ-0002": ["TYSHXYDM", "QYMC", "GDMC", "GDLX", "RJCZE"]},
        "mode": UsageMode.QUERY,
        "purpose": "生态环境损害赔偿案件中查询赔偿义务企业的股东及出资信息",
        "legal_basis": "《生态环境损害赔偿管理规定》；" + REGULATION,
        "contact": "何晓燕（法规与标准处处长）",
        "provider_contact": "李娜（信用监督管理处）",
        "start": -190,
        "years": 2,
        "status": S.REVOKED,
        "revoked_by": "provider",
        "reason": "经核查，使用部门将股东信息用于协议约定用途以外的企业环境信用评级，违反协议的用途限制，依据"
        + REGULATION
        + "终止共享",
        "uses": 12,
        "end_users": ["法规与标准处 邱峰"],
        "ref": "HJPC",
    },
    {
        "requester": "YJ",
        "provider": "JT",
        "items": {"JT-0001": ["DLYSJYXKZH", "YHMC", "TYSHXYDM", "JYFW"]},
        "mode": UsageMode.QUERY,
        "purpose": "危险货物道路运输安全专项整治期间核查运输企业的道路运输经营资质",
        "legal_basis": "《危险化学品安全管理条例》；" + REGULATION,
        "contact": "林峰（危险化学品安全监督管理处处长）",
        "start": -100,
        "years": 1,
        "status": S.REVOKED,
        "revoked_by": "bureau",
        "reason": "专项整治已结束，经使用部门确认共享用途已经完成，终止协议；日常监管需要时另行申请",
        "uses": 6,
        "end_users": ["危险化学品安全监督管理处 秦刚"],
        "ref": "WHZZ",
    },
    {
        "requester": "ZR",
        "provider": "ZJ",
        "items": {"ZJ-0001": ["HTBH", "BDCDYH", "FWZL", "MSRXM", "MSRZJHM", "HTJE"]},
        "mode": UsageMode.QUERY,
        "purpose": "办理新建商品房转移登记时调取网签备案合同信息，实现“交房即交证”",
        "legal_basis": "《不动产登记暂行条例》；" + REGULATION,
        "contact": "杨帆（不动产登记中心副主任）",
        "provider_contact": "郑浩（房地产市场监管处）",
        "start": 0,
        "years": 3,
        "status": S.PROVIDER_APPROVED,
    },
    {
        "requester": "SJ",
        "provider": "SW",
        "items": {"SW-0003": ["NSRSBH", "NSRMC", "SSQ", "YNSE", "YJSE"]},
        "mode": UsageMode.VERIFY,
        "purpose": "企业年度报告“双随机”抽查中，核对企业年报填报的纳税总额与纳税申报数据是否一致（仅返回一致/不一致）",
        "legal_basis": "《企业信息公示暂行条例》关于市场监督管理部门对企业公示信息进行抽查的规定",
        "exception": "《企业信息公示暂行条例》规定市场监督管理部门对企业公示信息的真实性进行抽查；"
        "经市政务数据共享协调机制会议研究同意，仅以核验方式（返回一致/不一致）提供，不提供申报明细",
        "contact": "李娜（信用监督管理处副处长）",
        "provider_contact": "黄磊（征管和科技发展处）",
        "start": 0,
        "years": 1,
        "status": S.PROVIDER_APPROVED,
    },
    {
        "requester": "SW",
        "provider": "ZJ",
        "items": {"ZJ-0001": ["HTBH", "BDCDYH", "FWZL", "MSRZJHM", "HTJE", "BASJ"]},
        "mode": UsageMode.QUERY,
        "purpose": "新建商品房契税申报时核对网签备案合同价格，防止以“阴阳合同”少缴税款",
        "legal_basis": "《中华人民共和国契税法》关于相关部门向税务机关提供房屋权属转移信息的规定；" + REGULATION,
        "contact": "黄振宇（财产和行为税处处长）",
        "start": 7,
        "years": 3,
        "status": S.SUBMITTED,
    },
    {
        "requester": "ZJ",
        "provider": "RS",
        "items": {"RS-0001": ["GMSFHM", "XM", "CBZT", "CBRQ"]},
        "mode": UsageMode.VERIFY,
        "purpose": "人才住房、共有产权住房申请资格审核中核验申请人在本市连续缴纳社会保险的年限",
        "legal_basis": "《共有产权住房管理办法》（市政府规章）；" + REGULATION,
        "contact": "郑浩（住房保障处副处长）",
        "start": 0,
        "years": 2,
        "status": S.SUBMITTED,
    },
    {
        "requester": "SJ",
        "provider": "RS",
        "items": {"RS-0002": ["SHBZHM", "XM", "JFNY", "JFJS", "GRJFE", "DWJFE"]},
        "mode": UsageMode.BULK,
        "purpose": "评估“个转企”和小微企业扶持政策效果，批量获取个体经营者社会保险缴费明细",
        "legal_basis": "《促进个体工商户发展条例》；" + REGULATION,
        "contact": "李娜（信用监督管理处副处长）",
        "start": 0,
        "years": 1,
        "status": S.PROVIDER_REJECTED,
        "reason": "申请以批量复制方式获取个人缴费基数和缴费额明细，属敏感个人信息，超出政策评估所需的最小必要范围"
        "（《中华人民共和国个人信息保护法》第六条）；建议改为按统一社会信用代码核验企业参保人数后重新申请",
    },
    {
        "requester": "JY",
        "provider": "MZ",
        "items": {"MZ-0003": ["GMSFHM", "XM", "JTYSR", "BZJE", "BZLB"]},
        "mode": UsageMode.QUERY,
        "purpose": "学生资助精准认定：查询在校学生家庭的最低生活保障信息",
        "legal_basis": "《学生资助资金管理办法》；" + REGULATION,
        "contact": "吴静（学生资助管理中心主任）",
        "provider_contact": "赵丽萍（社会救助处副处长）",
        "start": 0,
        "years": 2,
        "status": S.BUREAU_REJECTED,
        "reason": "申请调用家庭月收入、保障金额等敏感个人信息，超出学生资助认定所需：认定只需确认学生是否属于低保家庭。"
        "请改为核验方式、仅申请公民身份号码和保障类别后重新提交",
    },
    {
        "requester": "HJ",
        "provider": "ZR",
        "items": {"ZR-0005": ["GHFQ", "YDYHFL", "KZXBH", "KJFW"]},
        "mode": UsageMode.QUERY,
        "purpose": "建设项目环评审批中核查项目选址与生态保护红线的空间关系",
        "legal_basis": "《中华人民共和国环境影响评价法》；" + REGULATION,
        "contact": "何晓燕（环境影响评价处副处长）",
        "start": 0,
        "years": 3,
        "status": S.WITHDRAWN,
        "reason": "经与市自然资源和规划局沟通，生态保护红线核查改为通过国土空间基础信息平台在线调用，"
        "无需另行签订共享协议，撤回本申请",
    },
    {
        "requester": "YJ",
        "provider": "JJ",
        "items": {"JJ-0005": ["SGBH", "SGSJ", "SGDD", "SWRS", "SSRS", "SGYY"]},
        "mode": UsageMode.QUERY,
        "purpose": "分析道路交通事故规律，开展危险化学品运输车辆事故风险评估",
        "legal_basis": "《危险化学品安全管理条例》；" + REGULATION,
        "contact": "林峰（危险化学品安全监督管理处处长）",
        "start": 14,
        "years": 2,
        "status": S.DRAFT,
    },
    {
        "requester": "JY",
        "provider": "WJ",
        "items": {"WJ-0008": ["GMSFHM", "XM", "YMMC", "JZRQ"]},
        "mode": UsageMode.VERIFY,
        "purpose": "儿童入托、入学时查验预防接种证，核验疫苗接种情况，督促补种",
        "legal_basis": "《中华人民共和国疫苗管理法》关于儿童入托、入学时查验预防接种证的规定；" + REGULATION,
        "contact": "吴静（体育卫生与艺术教育处）",
        "start": 30,
        "years": 3,
        "status": S.DRAFT,
    },
]


def _liaisons() -> dict[str, User]:
    """Each department's demo liaison, fetched afresh so that no permission cache is stale."""
    users = User.objects.filter(groups__name=Role.LIAISON.value, department__isnull=False).select_related("department")
    found: dict[str, User] = {}
    for user in users.order_by("pk"):
        found.setdefault(user.department.code, user)
    return found


def _items(specs) -> dict[tuple[str, str], DataItem]:
    codes = {code for spec in specs for code in spec["items"]}
    items = DataItem.objects.filter(resource__catalogue_code__in=codes).select_related(
        "resource", "resource__department"
    )
    return {(item.resource.catalogue_code, item.code): item for item in items}


def _period(spec, today: date) -> tuple[date, date]:
    start = today + timedelta(days=spec["start"])
    return start, start + timedelta(days=365 * spec["years"] - 1)


def _needs_provider_step(items) -> bool:
    return any(
        i.share_type != ShareType.UNCONDITIONAL or i.resource.share_type != ShareType.UNCONDITIONAL for i in items
    )


class _Loader:
    def __init__(self, officer):
        self.officer = officer
        self.liaisons = _liaisons()
        self.created = Counter()
        self.refused = 0
        self.today = timezone.localdate()

    def load(self, spec, items_by_code):
        requester = self.liaisons[spec["requester"]]
        provider = self.liaisons[spec["provider"]]
        items = [items_by_code[(resource, code)] for resource, codes in spec["items"].items() for code in codes]
        valid_from, valid_to = _period(spec, self.today)
        agreement = services.agreement_save(
            agreement=ShareAgreement(
                provider=provider.department,
                purpose=spec["purpose"],
                legal_basis=spec["legal_basis"],
                usage_mode=spec["mode"],
                valid_from=valid_from,
                valid_to=valid_to,
                requester_contact=spec["contact"],
            ),
            actor=requester,
            items=items,
        )
        self.created[ShareAgreement._meta.label] += 1
        status = spec["status"]
        if spec.get("exception"):
            services.agreement_grant_exception(agreement=agreement, actor=self.officer, legal_basis=spec["exception"])
        if status == S.DRAFT:
            return
        services.agreement_submit(agreement=agreement, actor=requester)
        if status == S.WITHDRAWN:
            services.agreement_withdraw(agreement=agreement, actor=requester, reason=spec["reason"])
            return
        if status == S.SUBMITTED:
            return
        if _needs_provider_step(items):
            if status == S.PROVIDER_REJECTED:
                services.agreement_provider_reject(agreement=agreement, actor=provider, reason=spec["reason"])
                return
            services.agreement_provider_approve(
                agreement=agreement, actor=provider, reason=PROVIDER_APPROVE_REASON, contact=spec["provider_contact"]
            )
        if status == S.PROVIDER_APPROVED:
            return
        if status == S.BUREAU_REJECTED:
            services.agreement_bureau_reject(agreement=agreement, actor=self.officer, reason=spec["reason"])
            return
        services.agreement_bureau_approve(agreement=agreement, actor=self.officer, reason=APPROVE_REASON)
        self._record_uses(agreement, spec, requester, items)
        if status == S.SUSPENDED:
            services.agreement_suspend(agreement=agreement, actor=self.officer, reason=spec["reason"])
            # The exchange system keeps trying after the suspension; the service refuses and records it.
            for n in range(spec.get("attempts_after", 0)):
                seq = spec["uses"] + n + 1
                self._use(agreement, requester, spec["mode"], self._granted_codes(items), 1, spec, timezone.now(), seq)
        elif status == S.REVOKED:
            actor = provider if spec["revoked_by"] == "provider" else self.officer
            services.agreement_revoke(agreement=agreement, actor=actor, reason=spec["reason"])

    @staticmethod
    def _granted_codes(items) -> list[str]:
        return [f"{i.resource.catalogue_code}/{i.code}" for i in items]

    def _record_uses(self, agreement, spec, requester, items):
        rng = random.Random(spec["purpose"])
        granted = self._granted_codes(items)
        resource_ids = {i.resource_id for i in items}
        granted_ids = {i.pk for i in items}
        outside = [
            f"{resource}/{code}"
            for resource, code in DataItem.objects.filter(resource_id__in=resource_ids)
            .exclude(pk__in=granted_ids)
            .values_list("resource__catalogue_code", "code")
        ]
        stronger = [m for m in UsageMode.values if MODE_RANK[m] > MODE_RANK[spec["mode"]]]
        earliest = max(agreement.valid_from, self.today - timedelta(days=USAGE_WINDOW_DAYS - 1))
        # Office days of the using department, up to yesterday: today's uses are still coming in.
        office_days = [
            earliest + timedelta(days=n)
            for n in range((self.today - earliest).days)
            if (earliest + timedelta(days=n)).weekday() < 5
        ]
        days = sorted(rng.choice(office_days) for _n in range(spec["uses"]))
        for seq, day in enumerate(days, start=1):
            when = timezone.make_aware(datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59))))
            codes, mode = rng.sample(granted, rng.randint(1, len(granted))), spec["mode"]
            if seq % REFUSAL_EVERY == 0:
                # Every so often the exchange system asks for more than was agreed: either items
                # outside the agreement or a stronger mode. The service refuses and records it.
                if stronger and (not outside or seq % (2 * REFUSAL_EVERY)):
                    mode = rng.choice(stronger)
                elif outside:
                    codes = [*codes, rng.choice(outside)]
            if mode == UsageMode.VERIFY:
                count = 1
            elif mode == UsageMode.QUERY:
                count = rng.randint(1, 40)
            else:
                count = rng.randint(500, 20000)
            self._use(agreement, requester, mode, codes, count, spec, when, seq)

    def _use(self, agreement, requester, mode, codes, count, spec, when, seq):
        record = services.usage_record(
            agreement=agreement,
            actor=requester,
            mode=mode,
            item_codes=codes,
            record_count=count,
            purpose_reference=f"{spec['ref']}-{timezone.localdate(when):%Y%m%d}-{seq:04d}",
            end_user=spec["end_users"][seq % len(spec["end_users"])],
            used_at=when,
        )
        self.created[UsageRecord._meta.label] += 1
        self.refused += record.outcome == UsageOutcome.REJECTED


def seed_sharing(*, officer, stdout) -> dict:
    """Load the demo agreements that are missing; returns how many objects of each kind it created."""
    loader = _Loader(officer)
    items_by_code = _items(AGREEMENTS)
    existing = set(ShareAgreement.objects.values_list("requester__code", "purpose"))
    for spec in AGREEMENTS:
        if (spec["requester"], spec["purpose"]) in existing:
            continue
        with transaction.atomic():
            loader.load(spec, items_by_code)
    if loader.created:
        stdout.write(
            _("Sharing: created %(agreements)d agreements and %(uses)d usage records (%(refused)d of them refused).")
            % {
                "agreements": loader.created[ShareAgreement._meta.label],
                "uses": loader.created[UsageRecord._meta.label],
                "refused": loader.refused,
            }
        )
    return dict(loader.created)
