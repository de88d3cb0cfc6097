"""Word lists from which seed_scale builds a province's departments, people, duties and texts.

Content, not code. Resource templates (names, items, share conditions) come from the demo
catalogue (catalog/demo_data.py), whose department codes double as the "kinds" below: the
province's own departments carry those codes, and every city has one department of each kind.
"""

# Department kinds: demo department code -> (the province's department, a city's department).
# The data bureau (DSJ) of the province is the one department of kind "bureau"; a city's data
# bureau is a business department like any other.
KINDS = {
    "DSJ": ("江东省大数据局", "{city}大数据局"),
    "GA": ("江东省公安厅", "{city}公安局"),
    "SJ": ("江东省市场监督管理局", "{city}市场监督管理局"),
    "RS": ("江东省人力资源和社会保障厅", "{city}人力资源和社会保障局"),
    "MZ": ("江东省民政厅", "{city}民政局"),
    "WJ": ("江东省卫生健康委员会", "{city}卫生健康委员会"),
    "ZR": ("江东省自然资源厅", "{city}自然资源和规划局"),
    "SW": ("国家税务总局江东省税务局", "国家税务总局{city}税务局"),
    "JY": ("江东省教育厅", "{city}教育局"),
    "ZJ": ("江东省住房和城乡建设厅", "{city}住房和城乡建设局"),
    "JT": ("江东省交通运输厅", "{city}交通运输局"),
    "HJ": ("江东省生态环境厅", "{city}生态环境局"),
    "YJ": ("江东省应急管理厅", "{city}应急管理局"),
    "JJ": ("江东省公安厅交通警察总队", "{city}公安局交通警察支队"),
}
# How much data a kind of department catalogues relative to the others (basic libraries weigh most).
KIND_WEIGHT = {
    "DSJ": 0.6,
    "GA": 2.5,
    "SJ": 2.0,
    "RS": 1.6,
    "MZ": 1.1,
    "WJ": 1.4,
    "ZR": 1.3,
    "SW": 1.5,
    "JY": 1.0,
    "ZJ": 1.0,
    "JT": 0.9,
    "HJ": 0.8,
    "YJ": 0.7,
    "JJ": 1.2,
}

# Cities of the province: (name, code). Codes prefix their departments' codes (JZ-GA).
CITIES = [
    ("江州市", "JZ"),
    ("临川市", "LC"),
    ("云岭市", "YL"),
    ("青阳市", "QY"),
    ("白石市", "BS"),
    ("东湖市", "DH"),
    ("南浦市", "NP"),
    ("西岭市", "XL"),
    ("北川市", "BC"),
    ("清河市", "QH"),
    ("安平市", "AP"),
    ("永宁市", "YN"),
    ("长乐市", "CL"),
    ("丰泽市", "FZ"),
    ("新安市", "XA"),
    ("平湖市", "PH"),
    ("桐城市", "TC"),
    ("石门市", "SM"),
    ("凤翔市", "FX"),
    ("宁远市", "NY"),
]
DISTRICTS = [
    "城关区",
    "城东区",
    "城西区",
    "高新区",
    "经济技术开发区",
    "临港新区",
    "北湖区",
    "南山区",
    "河东区",
    "河西区",
    "新城区",
    "老城区",
    "滨江区",
    "青山县",
    "长河县",
    "白水县",
]
# What a resource's name may carry besides its template name.
YEAR_SUFFIX = "（{year}年）"
NAME_SUFFIXES = ["（历史数据）", "变更记录", "统计数据", "（按月汇总）", "查询接口", "（存量数据）", "增量数据"]

# Duties: per kind, the matters its mandate and power list are about.
DUTY_SUBJECTS = {
    "DSJ": [
        "政务数据共享",
        "公共数据开放",
        "政务数据资源目录",
        "数据安全",
        "政务云",
        "电子政务外网",
        "公共数据授权运营",
        "数据标准",
        "一网通办",
        "数字政府项目",
    ],
    "GA": [
        "户口登记",
        "居民身份证",
        "居住证",
        "出入境证件",
        "旅馆业",
        "特种行业",
        "枪支管理",
        "大型群众性活动",
        "保安服务",
        "出租房屋",
        "网络安全",
        "危险物品",
    ],
    "SJ": [
        "市场主体登记",
        "食品经营",
        "特种设备",
        "计量器具",
        "产品质量",
        "广告发布",
        "药品零售",
        "价格行为",
        "商标使用",
        "网络交易",
        "标准化",
        "认证认可",
    ],
    "RS": [
        "社会保险登记",
        "养老保险待遇",
        "失业保险金",
        "工伤认定",
        "劳动用工",
        "人力资源服务",
        "职业技能等级",
        "专业技术职称",
        "劳动保障监察",
        "就业补贴",
        "技工院校",
    ],
    "MZ": [
        "婚姻登记",
        "社会组织",
        "最低生活保障",
        "特困人员供养",
        "养老机构",
        "殡葬服务",
        "残疾人补贴",
        "地名管理",
        "慈善组织",
        "临时救助",
        "儿童福利",
    ],
    "WJ": [
        "医疗机构执业",
        "医师执业",
        "护士执业",
        "出生医学证明",
        "公共场所卫生",
        "生活饮用水卫生",
        "传染病防治",
        "职业卫生",
        "母婴保健",
        "预防接种",
        "放射诊疗",
    ],
    "ZR": [
        "不动产登记",
        "建设用地规划",
        "建设工程规划",
        "土地征收",
        "矿产资源开采",
        "测绘资质",
        "地质灾害防治",
        "耕地保护",
        "林木采伐",
        "国土空间规划",
    ],
    "SW": [
        "税务登记",
        "发票管理",
        "纳税申报",
        "税收减免",
        "纳税信用评价",
        "出口退税",
        "社会保险费征收",
        "非税收入征收",
        "欠税管理",
        "个人所得税汇算",
    ],
    "JY": [
        "民办学校办学",
        "教师资格",
        "中小学学籍",
        "义务教育招生",
        "学生资助",
        "校外培训机构",
        "校车使用",
        "中等职业教育",
        "学前教育",
        "教育督导",
    ],
    "ZJ": [
        "建筑工程施工",
        "建筑业企业资质",
        "商品房预售",
        "房屋网签备案",
        "物业服务",
        "燃气经营",
        "城市建筑垃圾处置",
        "住房保障",
        "房地产开发企业资质",
        "工程质量安全",
    ],
    "JT": [
        "道路运输经营",
        "网络预约出租汽车",
        "公路超限运输",
        "港口经营",
        "水路运输",
        "机动车维修经营",
        "驾驶员培训",
        "公路建设",
        "客运站经营",
        "危险货物运输",
    ],
    "HJ": [
        "排污许可",
        "建设项目环境影响评价",
        "危险废物经营",
        "辐射安全",
        "环境监测",
        "机动车排放检验",
        "入河排污口",
        "固体废物",
        "噪声污染防治",
        "生态保护红线",
    ],
    "YJ": [
        "危险化学品经营",
        "安全生产许可",
        "非煤矿山",
        "烟花爆竹经营",
        "生产安全事故调查",
        "应急预案",
        "安全评价机构",
        "工贸企业安全",
        "防汛抗旱",
        "森林防火",
    ],
    "JJ": [
        "机动车登记",
        "机动车驾驶证",
        "道路交通违法",
        "道路交通事故",
        "机动车安全技术检验",
        "校车驾驶资格",
        "道路通行",
        "交通信号设施",
        "驾驶人考试",
        "非机动车登记",
    ],
}
MANDATE_TEMPLATES = [
    "负责{scope}{s}管理工作",
    "指导{s}工作",
    "拟订{s}政策并组织实施",
    "组织开展{s}监督管理",
    "承担{s}统计分析工作",
]
# Power-list duties per power kind (choices of catalog.choices.PowerKind).
POWER_TEMPLATES = {
    "licensing": ["{s}许可", "{s}审批"],
    "penalty": ["对{s}违法行为的行政处罚", "对违反{s}管理规定的处罚"],
    "inspection": ["对{s}的监督检查", "{s}专项检查"],
    "enforcement": ["对{s}违法行为的查封扣押", "{s}行政强制执行"],
    "levy": ["{s}相关费用征收"],
    "payment": ["{s}补助发放"],
    "confirmation": ["{s}确认", "{s}登记"],
    "award": ["对{s}工作中成绩突出单位和个人的表彰"],
    "ruling": ["{s}纠纷裁决"],
    "other": ["{s}备案", "{s}信息公示"],
}
POWER_KIND_WEIGHTS = {
    "licensing": 22,
    "penalty": 34,
    "inspection": 14,
    "enforcement": 6,
    "levy": 2,
    "payment": 5,
    "confirmation": 8,
    "award": 2,
    "ruling": 1,
    "other": 6,
}
# Appended when a department has more duties than distinct names (power lists split items so).
DUTY_SUBITEMS = ["一般程序", "简易程序", "首次申请", "变更", "延续", "注销", "补办", "跨区域通办"]

SYSTEM_TEMPLATES = ["{s}管理信息系统", "{s}业务办理系统", "{s}监管平台", "{s}综合服务平台"]

# People.
FAMILY_NAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤"
)
GIVEN_NAMES = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建红志晓东海燕鹏飞宇欣然浩博文思佳琳颖婷雪梅丹"
)
OFFICES = [
    "政务服务中心窗口",
    "综合业务处",
    "信息中心",
    "审批服务科",
    "执法支队",
    "登记注册科",
    "社会事务科",
    "数据管理科",
    "基层服务站",
    "稽查局",
]

# Share agreements.
MATTERS = [
    "企业开办登记",
    "社会救助资格审核",
    "不动产登记",
    "义务教育招生入学",
    "行政许可审批",
    "执法检查",
    "信用评价和联合奖惩",
    "补贴发放审核",
    "户籍业务办理",
    "社会保险参保登记",
    "保障性住房资格审核",
    "税收征管",
    "安全生产监管",
    "“一件事一次办”联办",
]
MODE_VERBS = {"verify": "核验", "query": "查询", "bulk": "批量获取"}
BENEFITS = [
    "减少群众重复提交材料",
    "防范虚假申报",
    "提高审批效率",
    "实现“免证办”",
    "及时发现异常情形",
    "支撑跨部门协同监管",
]
LAWS = [
    "《中华人民共和国行政许可法》",
    "《中华人民共和国社会保险法》",
    "《社会救助暂行办法》",
    "《优化营商环境条例》",
    "《中华人民共和国义务教育法》",
    "《不动产登记暂行条例》",
    "《中华人民共和国税收征收管理法》",
    "《中华人民共和国安全生产法》",
    "《中华人民共和国户口登记条例》",
]
REGULATION = "《政务数据共享条例》（国务院令第809号）"

# Reasons of workflow steps (what a liaison or officer would type).
RETURN_REASONS = [
    "共享条件表述不明确，请补充使用范围和方式",
    "信息项分级与数据分类分级目录不一致，请核对后重新提交",
    "摘要过于简略，请说明数据内容、范围和更新方式",
    "来源系统填写有误，请核对",
]
REVISE_REASONS = ["信息项调整，需补充新增字段", "更新频率变化，修订编目信息", "根据数据分类分级复核结果调整共享属性"]
RETIRE_REASONS = ["来源系统已停止运行，数据不再更新", "已由新版数据资源替代", "业务职能划转，停止维护"]
CONFIRM_REASON = "经省大数据局审核，该部门为本数据元的法定采集部门，确认为权威数据源"
PROVIDER_REJECT_REASONS = [
    "申请用途与所列信息项不相符，不符合最小必要原则",
    "申请部门未说明依法履职依据",
    "所申请信息项涉及敏感个人信息，请改为核验方式",
]
BUREAU_REJECT_REASONS = ["申请期限超出履职需要，请调整期限后重新申请", "共享方式与数据分级要求不符"]
WITHDRAW_REASONS = ["业务需求调整，撤回申请", "已通过其他协议获取所需数据", "申请信息填写有误，撤回后重新申请"]
SUSPEND_REASONS = ["使用部门调用量异常，暂停共享待核查", "使用部门未按约定报送使用情况"]
RESUME_REASONS = ["核查完毕，未发现违规使用，恢复共享"]
REVOKE_REASONS = ["使用部门超范围使用数据，终止共享", "数据提供部门职能调整，该数据不再提供"]
