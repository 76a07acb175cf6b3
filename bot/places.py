"""The names people give their time zone instead of an IANA name: cities, countries (in English
and Chinese) and abbreviations such as EST or CST. Data only; `bot.chat_settings` reads it.

IANA names only cities, and not the ones most people live in (Beijing is `Asia/Shanghai`,
New York is `America/New_York` but Boston is not there at all), so a small table of the places
readers of arXiv are likely to type fills the gap. Every IANA zone's own city part is accepted
too (`bot.chat_settings`); this table wins where both name a place.
"""

from __future__ import annotations

from dataclasses import dataclass

# fmt: off
# zone → the names that mean it. Several names per line, English then Chinese.
_PLACES: dict[str, tuple[str, ...]] = {
    "Asia/Shanghai": (
        "China", "PRC", "Mainland China", "Beijing", "Peking", "Shanghai", "Guangzhou",
        "Shenzhen", "Hangzhou", "Nanjing", "Chengdu", "Wuhan", "Xian", "Xi'an", "Tianjin",
        "Chongqing", "Hefei", "Suzhou", "Harbin", "Changsha", "Jinan", "Qingdao", "Xiamen",
        "Dalian", "Shenyang", "Kunming", "Zhengzhou",
        "中国", "北京", "上海", "广州", "深圳", "杭州", "南京", "成都", "武汉", "西安", "天津",
        "重庆", "合肥", "苏州", "哈尔滨", "长沙", "济南", "青岛", "厦门", "大连", "沈阳", "昆明",
        "郑州", "北京时间", "中国时间",
    ),
    "Asia/Hong_Kong": ("Hong Kong", "HK", "香港"),
    "Asia/Macau": ("Macau", "Macao", "澳门"),
    "Asia/Taipei": ("Taipei", "Taiwan", "Hsinchu", "台北", "台湾", "臺灣", "臺北", "新竹"),
    "Asia/Tokyo": ("Japan", "Tokyo", "Osaka", "Kyoto", "Nagoya", "日本", "东京", "東京", "大阪",
                   "京都"),
    "Asia/Seoul": ("Korea", "South Korea", "Seoul", "Daejeon", "Busan", "韩国", "首尔", "한국",
                   "서울"),
    "Asia/Singapore": ("Singapore", "新加坡"),
    "Asia/Kolkata": ("India", "New Delhi", "Delhi", "Mumbai", "Bombay", "Bangalore",
                     "Bengaluru", "Chennai", "Hyderabad", "Pune", "Kanpur", "印度", "孟买",
                     "新德里", "德里"),
    "Asia/Bangkok": ("Thailand", "Bangkok", "泰国", "曼谷"),
    "Asia/Ho_Chi_Minh": ("Vietnam", "Hanoi", "Saigon", "越南", "河内", "胡志明市"),
    "Asia/Jakarta": ("Indonesia", "Jakarta", "印度尼西亚", "印尼", "雅加达"),
    "Asia/Kuala_Lumpur": ("Malaysia", "Kuala Lumpur", "马来西亚", "吉隆坡"),
    "Asia/Manila": ("Philippines", "Manila", "菲律宾", "马尼拉"),
    "Asia/Karachi": ("Pakistan", "Islamabad", "Lahore", "巴基斯坦"),
    "Asia/Dhaka": ("Bangladesh", "孟加拉国"),
    "Asia/Kathmandu": ("Nepal", "尼泊尔"),
    "Asia/Jerusalem": ("Israel", "Jerusalem", "Tel Aviv", "Haifa", "Rehovot", "以色列",
                       "耶路撒冷", "特拉维夫"),
    "Asia/Dubai": ("UAE", "United Arab Emirates", "Dubai", "Abu Dhabi", "阿联酋", "迪拜"),
    "Asia/Riyadh": ("Saudi Arabia", "Riyadh", "沙特", "沙特阿拉伯"),
    "Asia/Tehran": ("Iran", "Tehran", "伊朗", "德黑兰"),
    "Europe/Istanbul": ("Turkey", "Türkiye", "Istanbul", "Ankara", "土耳其", "伊斯坦布尔"),
    "Europe/London": ("UK", "United Kingdom", "Britain", "Great Britain", "England", "Scotland",
                      "Wales", "London", "Oxford", "Cambridge", "Edinburgh", "Manchester",
                      "英国", "伦敦", "牛津", "剑桥", "爱丁堡"),
    "Europe/Dublin": ("Ireland", "Dublin", "爱尔兰", "都柏林"),
    "Europe/Lisbon": ("Portugal", "Lisbon", "葡萄牙", "里斯本"),
    "Europe/Berlin": ("Germany", "Berlin", "Munich", "München", "Hamburg", "Frankfurt",
                      "Heidelberg", "Göttingen", "Bonn", "Cologne", "Köln", "Stuttgart",
                      "德国", "柏林", "慕尼黑", "汉堡", "法兰克福"),
    "Europe/Paris": ("France", "Paris", "Lyon", "Grenoble", "Marseille", "Toulouse", "法国",
                     "巴黎"),
    "Europe/Rome": ("Italy", "Rome", "Milan", "Turin", "Trieste", "意大利", "罗马", "米兰"),
    "Europe/Madrid": ("Spain", "Madrid", "Barcelona", "西班牙", "马德里", "巴塞罗那"),
    "Europe/Amsterdam": ("Netherlands", "Holland", "Amsterdam", "Delft", "Leiden", "Utrecht",
                         "荷兰", "阿姆斯特丹"),
    "Europe/Brussels": ("Belgium", "Brussels", "比利时", "布鲁塞尔"),
    "Europe/Zurich": ("Switzerland", "Zurich", "Zürich", "Geneva", "Lausanne", "Basel", "Bern",
                      "瑞士", "苏黎世", "日内瓦"),
    "Europe/Vienna": ("Austria", "Vienna", "Wien", "奥地利", "维也纳"),
    "Europe/Stockholm": ("Sweden", "Stockholm", "瑞典", "斯德哥尔摩"),
    "Europe/Oslo": ("Norway", "Oslo", "挪威", "奥斯陆"),
    "Europe/Copenhagen": ("Denmark", "Copenhagen", "丹麦", "哥本哈根"),
    "Europe/Helsinki": ("Finland", "Helsinki", "芬兰", "赫尔辛基"),
    "Europe/Warsaw": ("Poland", "Warsaw", "波兰", "华沙"),
    "Europe/Prague": ("Czechia", "Czech Republic", "Prague", "捷克", "布拉格"),
    "Europe/Athens": ("Greece", "Athens", "希腊", "雅典"),
    "Europe/Kyiv": ("Ukraine", "Kyiv", "Kiev", "乌克兰", "基辅"),
    "Europe/Moscow": ("Russia", "Moscow", "Saint Petersburg", "St Petersburg", "俄罗斯",
                      "莫斯科"),
    "Africa/Cairo": ("Egypt", "Cairo", "埃及", "开罗"),
    "Africa/Johannesburg": ("South Africa", "Johannesburg", "Cape Town", "南非"),
    "Africa/Lagos": ("Nigeria", "Lagos", "尼日利亚"),
    "Africa/Nairobi": ("Kenya", "Nairobi", "肯尼亚"),
    "America/New_York": ("USA", "US", "United States", "America", "East Coast", "New York",
                         "NYC", "Boston", "Cambridge MA", "Washington", "Washington DC", "DC",
                         "Philadelphia", "Princeton", "Pittsburgh", "Atlanta", "Miami",
                         "Baltimore", "New Haven", "Ithaca",
                         "美国", "纽约", "波士顿", "华盛顿", "费城", "普林斯顿"),
    "America/Toronto": ("Canada", "Toronto", "Montreal", "Ottawa", "Waterloo", "加拿大",
                        "多伦多", "蒙特利尔", "渥太华"),
    "America/Chicago": ("Chicago", "Houston", "Dallas", "Austin", "Madison", "Minneapolis",
                        "St Louis", "芝加哥", "休斯顿", "达拉斯"),
    "America/Denver": ("Denver", "Boulder", "Salt Lake City", "丹佛"),
    "America/Phoenix": ("Arizona", "Phoenix", "Tucson"),
    "America/Los_Angeles": ("West Coast", "California", "Los Angeles", "LA", "San Francisco",
                            "SF", "Bay Area", "Silicon Valley", "San Jose", "Palo Alto",
                            "Stanford", "Berkeley", "San Diego", "Pasadena", "Seattle",
                            "Portland", "洛杉矶", "旧金山", "圣何塞", "硅谷", "西雅图", "加州"),
    "America/Vancouver": ("Vancouver", "温哥华"),
    "America/Mexico_City": ("Mexico", "Mexico City", "墨西哥"),
    "America/Sao_Paulo": ("Brazil", "Sao Paulo", "São Paulo", "Rio de Janeiro", "巴西",
                          "圣保罗"),
    "America/Argentina/Buenos_Aires": ("Argentina", "Buenos Aires", "阿根廷"),
    "America/Santiago": ("Chile", "Santiago", "智利"),
    "Australia/Sydney": ("Australia", "Sydney", "Canberra", "澳大利亚", "澳洲", "悉尼",
                         "堪培拉"),
    "Australia/Melbourne": ("Melbourne", "墨尔本"),
    "Australia/Brisbane": ("Brisbane", "布里斯班"),
    "Australia/Perth": ("Perth", "珀斯"),
    "Australia/Adelaide": ("Adelaide", "阿德莱德"),
    "Pacific/Auckland": ("New Zealand", "Auckland", "Wellington", "新西兰", "奥克兰"),
    "Pacific/Honolulu": ("Hawaii", "Honolulu", "夏威夷"),
}
# fmt: on

# Countries spanning several zones: the zone chosen first, and the others worth naming.
COUNTRY_ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "usa": ("America/Chicago", "America/Denver", "America/Los_Angeles"),
    "us": ("America/Chicago", "America/Denver", "America/Los_Angeles"),
    "unitedstates": ("America/Chicago", "America/Denver", "America/Los_Angeles"),
    "america": ("America/Chicago", "America/Denver", "America/Los_Angeles"),
    "美国": ("America/Chicago", "America/Denver", "America/Los_Angeles"),
    "canada": ("America/Vancouver", "America/Winnipeg", "America/Halifax"),
    "加拿大": ("America/Vancouver", "America/Winnipeg", "America/Halifax"),
    "australia": ("Australia/Brisbane", "Australia/Adelaide", "Australia/Perth"),
    "澳大利亚": ("Australia/Brisbane", "Australia/Adelaide", "Australia/Perth"),
    "澳洲": ("Australia/Brisbane", "Australia/Adelaide", "Australia/Perth"),
    "russia": ("Asia/Yekaterinburg", "Asia/Novosibirsk", "Asia/Vladivostok"),
    "俄罗斯": ("Asia/Yekaterinburg", "Asia/Novosibirsk", "Asia/Vladivostok"),
    "brazil": ("America/Manaus",),
    "巴西": ("America/Manaus",),
    "mexico": ("America/Tijuana",),
    "墨西哥": ("America/Tijuana",),
    "indonesia": ("Asia/Makassar", "Asia/Jayapura"),
}


@dataclass(frozen=True)
class Abbreviation:
    """What a time zone abbreviation names: the zone chosen, others it can mean, and whether
    the choice depends on the reader (CST is China to a Chinese reader, US Central otherwise)."""

    zone: str
    alternatives: tuple[str, ...] = ()
    zone_for_zh: str = ""


# Abbreviations map to the place's zone, daylight saving included: a person who types EST in
# January means "New York time", and would be an hour off all summer with a fixed UTC-5.
ABBREVIATIONS: dict[str, Abbreviation] = {
    "EST": Abbreviation("America/New_York"),
    "EDT": Abbreviation("America/New_York"),
    "ET": Abbreviation("America/New_York"),
    "CST": Abbreviation("America/Chicago", ("Asia/Shanghai",), zone_for_zh="Asia/Shanghai"),
    "CDT": Abbreviation("America/Chicago"),
    "CT": Abbreviation("America/Chicago"),
    "MST": Abbreviation("America/Denver", ("America/Phoenix",)),
    "MDT": Abbreviation("America/Denver"),
    "MT": Abbreviation("America/Denver"),
    "PST": Abbreviation("America/Los_Angeles"),
    "PDT": Abbreviation("America/Los_Angeles"),
    "PT": Abbreviation("America/Los_Angeles"),
    "AKST": Abbreviation("America/Anchorage"),
    "AKDT": Abbreviation("America/Anchorage"),
    "HST": Abbreviation("Pacific/Honolulu"),
    "AST": Abbreviation("America/Halifax", ("Asia/Riyadh",)),
    "ADT": Abbreviation("America/Halifax"),
    "NST": Abbreviation("America/St_Johns"),
    "NDT": Abbreviation("America/St_Johns"),
    "BRT": Abbreviation("America/Sao_Paulo"),
    "ART": Abbreviation("America/Argentina/Buenos_Aires"),
    "GMT": Abbreviation("UTC", ("Europe/London",)),
    "UTC": Abbreviation("UTC"),
    "UT": Abbreviation("UTC"),
    "Z": Abbreviation("UTC"),
    "BST": Abbreviation("Europe/London"),
    "IST": Abbreviation("Asia/Kolkata", ("Europe/Dublin", "Asia/Jerusalem")),
    "WET": Abbreviation("Europe/Lisbon"),
    "WEST": Abbreviation("Europe/Lisbon"),
    "CET": Abbreviation("Europe/Berlin", ("Europe/Paris",)),
    "CEST": Abbreviation("Europe/Berlin", ("Europe/Paris",)),
    "MEZ": Abbreviation("Europe/Berlin"),
    "MESZ": Abbreviation("Europe/Berlin"),
    "EET": Abbreviation("Europe/Athens", ("Europe/Helsinki", "Africa/Cairo")),
    "EEST": Abbreviation("Europe/Athens", ("Europe/Helsinki",)),
    "MSK": Abbreviation("Europe/Moscow"),
    "GST": Abbreviation("Asia/Dubai"),
    "PKT": Abbreviation("Asia/Karachi"),
    "ICT": Abbreviation("Asia/Bangkok"),
    "WIB": Abbreviation("Asia/Jakarta"),
    "SGT": Abbreviation("Asia/Singapore"),
    "MYT": Abbreviation("Asia/Kuala_Lumpur"),
    "PHT": Abbreviation("Asia/Manila"),
    "HKT": Abbreviation("Asia/Hong_Kong"),
    "BJT": Abbreviation("Asia/Shanghai"),
    "CCT": Abbreviation("Asia/Shanghai"),
    "JST": Abbreviation("Asia/Tokyo"),
    "KST": Abbreviation("Asia/Seoul"),
    "AWST": Abbreviation("Australia/Perth"),
    "ACST": Abbreviation("Australia/Adelaide", ("Australia/Darwin",)),
    "ACDT": Abbreviation("Australia/Adelaide"),
    "AEST": Abbreviation("Australia/Sydney", ("Australia/Brisbane",)),
    "AEDT": Abbreviation("Australia/Sydney"),
    "NZST": Abbreviation("Pacific/Auckland"),
    "NZDT": Abbreviation("Pacific/Auckland"),
    "SAST": Abbreviation("Africa/Johannesburg"),
    "CAT": Abbreviation("Africa/Maputo"),
    "EAT": Abbreviation("Africa/Nairobi"),
    "WAT": Abbreviation("Africa/Lagos"),
}

# Half-hour and quarter-hour offsets have no Etc/ zone: the zone that keeps the offset all
# year and that most people on it live in.
FIXED_OFFSET_ZONES: dict[int, str] = {
    5 * 60 + 30: "Asia/Kolkata",
    5 * 60 + 45: "Asia/Kathmandu",
    9 * 60 + 30: "Australia/Darwin",
    4 * 60 + 30: "Asia/Kabul",
    3 * 60 + 30: "Asia/Tehran",
    6 * 60 + 30: "Asia/Yangon",
    8 * 60 + 45: "Australia/Eucla",
    -(9 * 60 + 30): "Pacific/Marquesas",
}


def place_key(text: str) -> str:
    """How names are compared: case, spaces, `_`, `-`, `.` and apostrophes do not matter."""
    return "".join(c for c in text.casefold() if c not in " _-.'’,\t")


def places() -> dict[str, str]:
    """Every name in the table (as `place_key`) → its zone."""
    return {place_key(name): zone for zone, names in _PLACES.items() for name in names}
