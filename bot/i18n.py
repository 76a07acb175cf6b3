"""The interface's words in English and Chinese, in one catalogue.

Handlers never hold user-facing text: they call `t(key, lang, **values)`. The interface language
follows the user's Telegram `language_code` (Chinese for any `zh*`, English otherwise) and can be
changed in /settings. Values are inserted as given: callers escape dynamic text for HTML.
"""

from __future__ import annotations

from bot import languages

UI_LANGUAGES = ("en", "zh")
# The catalogue's Chinese is Simplified: its row of bot.languages names it.
_UI_LANGUAGE_CODES = {"en": "en", "zh": "zh-CN"}

MESSAGES: dict[str, dict[str, str]] = {
    "start": {
        "en": (
            "👋 <b>arXiv digest</b>\n"
            "I send you a translated digest of new arXiv papers every day at {time} "
            "({timezone}).\n\n"
            "1. Subscribe: <code>/subscribe cs.CV</code> (or <code>/subscribe</code> to browse)\n"
            '2. Narrow it down: <code>/keyword diffusion "anomaly detection" -survey</code>\n'
            "3. Read today's papers now: /digest\n\n"
            "/help lists every command."
        ),
        "zh": (
            "👋 <b>arXiv 每日摘要</b>\n"
            "我每天 {time}（{timezone}）为你推送新的 arXiv 论文摘要，并附上翻译。\n\n"
            "1. 订阅分类：<code>/subscribe cs.CV</code>"
            "（或发送 <code>/subscribe</code> 浏览分类）\n"
            '2. 用关键词筛选：<code>/keyword diffusion "anomaly detection" -survey</code>\n'
            "3. 立即查看今天的论文：/digest\n\n"
            "发送 /help 查看全部命令。"
        ),
    },
    "resumed": {
        "en": "▶️ Daily digests are on again.",
        "zh": "▶️ 已恢复每日推送。",
    },
    "help": {
        "en": (
            "<b>Commands</b>\n"
            "/subscribe <code>cs.CV cs.LG</code> — categories or whole archives (<code>cs</code>); "
            "no argument opens the browser\n"
            '/keyword <code>word "a phrase" -excluded</code> — keywords (and exclusions)\n'
            '/author <code>"Name"</code> — follow an author\n'
            "/unsubscribe <code>cs.CV | keyword | author | all</code>\n"
            "/list — what you follow\n"
            "/digest — your digest of the latest announcement, now\n"
            "/search <code>query</code> — search arXiv\n"
            "/export — the latest digest as a Markdown file\n"
            "/saved — papers you saved\n"
            "/settings — language, time, time zone, number of papers…\n"
            "/lang <code>zh-CN</code> · /time <code>08:30</code> · /timezone "
            "<code>Europe/Berlin</code>\n"
            "/status — last fetch and today's counts\n"
            "/stop — pause daily digests (/start resumes)\n"
            "/calibrate — rate the papers your ranking is least sure about\n"
            "/forget — delete your 👍/👎 and your ranking model\n"
            "Under each paper: ⭐ save, 👍/👎 (a 👍 or 👎 reaction counts too), "
            "🔎 similar papers of the last 30 days"
        ),
        "zh": (
            "<b>命令</b>\n"
            "/subscribe <code>cs.CV cs.LG</code> — 订阅分类或整个大类（<code>cs</code>）；"
            "不带参数可浏览分类\n"
            '/keyword <code>word "a phrase" -excluded</code> — 关键词（以及排除词）\n'
            '/author <code>"Name"</code> — 关注作者\n'
            "/unsubscribe <code>cs.CV | 关键词 | 作者 | all</code>\n"
            "/list — 查看订阅\n"
            "/digest — 立即获取最新一期摘要\n"
            "/search <code>查询</code> — 搜索 arXiv\n"
            "/export — 以 Markdown 文件导出最新摘要\n"
            "/saved — 已收藏的论文\n"
            "/settings — 语言、时间、时区、论文数量…\n"
            "/lang <code>zh-CN</code> · /time <code>08:30</code> · /timezone "
            "<code>Asia/Shanghai</code>\n"
            "/status — 最近一次抓取与今日统计\n"
            "/stop — 暂停每日推送（/start 恢复）\n"
            "/calibrate — 为排序最拿不准的论文打分\n"
            "/forget — 删除你的 👍/👎 和排序模型\n"
            "每篇论文下方：⭐ 收藏，👍/👎（用 👍 或 👎 表情回应也算），🔎 最近 30 天的相似论文"
        ),
    },
    "stopped": {
        "en": "⏸ Daily digests paused. Your subscriptions are kept; /start resumes.",
        "zh": "⏸ 已暂停每日推送。订阅会保留，发送 /start 恢复。",
    },
    "unknown_command": {
        "en": "I don't know that command. /help lists what I can do.",
        "zh": "我不认识这个命令。发送 /help 查看可用命令。",
    },
    "error": {
        "en": "⚠️ Something went wrong on my side. Please try again in a minute.",
        "zh": "⚠️ 出了点问题，请稍后再试。",
    },
    "admins_only": {
        "en": "In groups, only administrators can change subscriptions and settings.",
        "zh": "在群组中，只有管理员可以修改订阅和设置。",
    },
    "bot_admins_only": {
        "en": "This command is for the bot's administrators.",
        "zh": "此命令仅限机器人管理员使用。",
    },
    "subscribe_usage": {
        "en": "Give one or more categories, e.g. <code>/subscribe cs.CV cs.LG</code> or a whole "
        "archive <code>/subscribe cs</code>.",
        "zh": "请给出一个或多个分类，例如 <code>/subscribe cs.CV cs.LG</code>，"
        "或整个大类 <code>/subscribe cs</code>。",
    },
    "subscribed": {
        "en": "✅ Subscribed: {codes}",
        "zh": "✅ 已订阅：{codes}",
    },
    "already_subscribed": {
        "en": "You already follow {codes}.",
        "zh": "你已经订阅了 {codes}。",
    },
    "unknown_category": {
        "en": "❓ <code>{code}</code> is not an arXiv category.",
        "zh": "❓ <code>{code}</code> 不是 arXiv 分类。",
    },
    "did_you_mean": {
        "en": " Did you mean {suggestions}?",
        "zh": "你是不是想输入 {suggestions}？",
    },
    "keyword_usage": {
        "en": 'Give words or "quoted phrases"; put - before a word to exclude it, e.g. '
        '<code>/keyword diffusion "anomaly detection" -survey</code>',
        "zh": '请给出关键词或"带引号的短语"；在词前加 - 表示排除，例如 '
        '<code>/keyword diffusion "anomaly detection" -survey</code>',
    },
    "keywords_added": {
        "en": "✅ Keywords: {keywords}",
        "zh": "✅ 关键词：{keywords}",
    },
    "excludes_added": {
        "en": "🚫 Excluded: {keywords}",
        "zh": "🚫 排除：{keywords}",
    },
    "keyword_too_long": {
        "en": "A keyword can be at most {limit} characters.",
        "zh": "每个关键词最多 {limit} 个字符。",
    },
    "author_usage": {
        "en": 'Give an author\'s name, e.g. <code>/author "Yann LeCun"</code>',
        "zh": '请给出作者姓名，例如 <code>/author "Yann LeCun"</code>',
    },
    "authors_added": {
        "en": "✅ Following: {authors}",
        "zh": "✅ 已关注作者：{authors}",
    },
    "too_many_subscriptions": {
        "en": "A chat can follow at most {limit} things; remove some with /unsubscribe first.",
        "zh": "每个聊天最多订阅 {limit} 项，请先用 /unsubscribe 删除一些。",
    },
    "unsubscribe_usage": {
        "en": "Say what to remove: <code>/unsubscribe cs.CV</code>, a keyword, an author, or "
        "<code>all</code>. /list shows what you follow.",
        "zh": "请说明要取消的内容：<code>/unsubscribe cs.CV</code>、关键词、作者，或 "
        "<code>all</code>。/list 可查看订阅。",
    },
    "unsubscribed": {
        "en": "🗑 Removed: {items}",
        "zh": "🗑 已取消：{items}",
    },
    "not_subscribed": {
        "en": "You don't follow {items}. /list shows what you follow.",
        "zh": "你没有订阅 {items}。/list 可查看订阅。",
    },
    "confirm_unsubscribe_all": {
        "en": "Remove all {count} subscriptions?",
        "zh": "确定删除全部 {count} 项订阅吗？",
    },
    "yes_remove_all": {"en": "Yes, remove all", "zh": "是，全部删除"},
    "cancel": {"en": "Cancel", "zh": "取消"},
    "cancelled": {"en": "Nothing was removed.", "zh": "未删除任何内容。"},
    "nothing_to_remove": {
        "en": "You don't follow anything yet.",
        "zh": "你还没有任何订阅。",
    },
    "list_empty": {
        "en": "You don't follow anything yet. Try <code>/subscribe cs.CV</code> or "
        "<code>/subscribe</code> to browse.",
        "zh": "你还没有任何订阅。试试 <code>/subscribe cs.CV</code>，或发送 "
        "<code>/subscribe</code> 浏览分类。",
    },
    "list_title": {"en": "<b>You follow</b> ({count})", "zh": "<b>你的订阅</b>（{count}）"},
    "list_categories": {"en": "Categories", "zh": "分类"},
    "list_keywords": {"en": "Keywords", "zh": "关键词"},
    "list_excludes": {"en": "Excluded", "zh": "排除"},
    "list_authors": {"en": "Authors", "zh": "作者"},
    "browser_archives": {
        "en": "<b>Browse arXiv</b>: pick an archive, then tap categories to subscribe (✓) or "
        "unsubscribe.",
        "zh": "<b>浏览 arXiv 分类</b>：选择一个大类，再点击分类即可订阅（✓）或取消。",
    },
    "browser_categories": {
        "en": "<b>{archive}</b>: tap to subscribe (✓) or unsubscribe.",
        "zh": "<b>{archive}</b>：点击订阅（✓）或取消。",
    },
    "browser_whole_archive": {"en": "All of", "zh": "整个大类"},
    "browser_back": {"en": "◀ Archives", "zh": "◀ 返回大类"},
    "on": {"en": "on", "zh": "开"},
    "off": {"en": "off", "zh": "关"},
    "settings_title": {
        "en": "<b>Settings</b>: tap to change.",
        "zh": "<b>设置</b>：点击即可修改。",
    },
    "set_language": {"en": "Digest language", "zh": "摘要语言"},
    "set_time": {"en": "Delivery time", "zh": "推送时间"},
    "set_timezone": {"en": "Time zone", "zh": "时区"},
    "set_max": {"en": "Papers per digest", "zh": "每期篇数"},
    "set_cross": {"en": "Cross-lists", "zh": "交叉列表"},
    "set_replacements": {"en": "New versions", "zh": "新版本"},
    "set_summaries": {"en": "One-line summaries", "zh": "一句话总结"},
    "set_interface": {"en": "Interface", "zh": "界面语言"},
    "set_no_matches": {"en": "Note on days without matches", "zh": "无匹配时提醒"},
    "flood": {
        "en": "⏳ Too many requests at once. Please wait {seconds} s and try again.",
        "zh": "⏳ 操作太频繁了，请等待 {seconds} 秒后再试。",
    },
    "set_no_announcement": {"en": "Note when arXiv does not announce", "zh": "arXiv 未发布时提醒"},
    "notice_quiet": {
        "en": "📭 arXiv did not announce new papers for {date} (a holiday or a pause). Your next "
        "digest comes with the next announcement.",
        "zh": "📭 arXiv 没有发布 {date} 的新论文（假日或暂停）。下一期摘要将随下一次发布送达。",
    },
    "notice_delayed": {
        "en": "⏳ Today's digest is delayed: arXiv's new listing has not reached me yet. It will "
        "follow as soon as it arrives.",
        "zh": "⏳ 今天的摘要推迟了：还没有拿到 arXiv 的最新公告，一到就会推送给你。",
    },
    "browser_back_settings": {"en": "◀ Settings", "zh": "◀ 返回设置"},
    "lang_menu": {
        "en": "Digest language (any other: <code>/lang CODE</code>, e.g. <code>/lang it</code>)",
        "zh": "摘要语言（其他语言：<code>/lang 代码</code>，如 <code>/lang it</code>）",
    },
    "time_menu": {
        "en": "Delivery time (any other: <code>/time HH:MM</code>)",
        "zh": "推送时间（其他时间：<code>/time HH:MM</code>）",
    },
    "timezone_menu": {
        "en": "Time zone (any other: <code>/timezone Area/City</code>, a city or "
        "<code>UTC+8</code>)",
        "zh": "时区（其他时区：<code>/timezone 地区/城市</code>、城市名或 <code>UTC+8</code>）",
    },
    "lang_usage": {
        "en": "Digest language now: <code>{current}</code>. Change it with "
        "<code>/lang zh-CN</code> (or en, ja, de, …).",
        "zh": "当前摘要语言：<code>{current}</code>。用 <code>/lang zh-CN</code>"
        "（或 en、ja、de 等）修改。",
    },
    "lang_wrong": {
        "en": "❓ <code>{typed}</code> is not a language I know. Expected a language code or "
        "name, e.g. <code>/lang zh-CN</code>, <code>/lang en</code> or <code>/lang ja</code>. "
        "Now: <code>{current}</code>.",
        "zh": "❓ <code>{typed}</code> 不是可识别的语言。请用语言代码或名称，如 "
        "<code>/lang zh-CN</code>、<code>/lang en</code> 或 <code>/lang ja</code>。"
        "当前：<code>{current}</code>。",
    },
    "lang_set": {
        "en": "✅ Digest language: <code>{value}</code>",
        "zh": "✅ 摘要语言：<code>{value}</code>",
    },
    "time_usage": {
        "en": "Delivery time now: <code>{current}</code>. Change it with <code>/time HH:MM</code>, "
        "e.g. <code>/time 08:30</code> (8, 8:30, 8pm and 20h work too).",
        "zh": "当前推送时间：<code>{current}</code>。用 <code>/time HH:MM</code> 修改，如 "
        "<code>/time 08:30</code>（也可写 8、8:30、8pm、20h）。",
    },
    "time_wrong": {
        "en": "❓ <code>{typed}</code> is not a time of day. Expected <code>HH:MM</code> from "
        "00:00 to 23:59, e.g. <code>/time 08:30</code> (8, 8:30, 8pm and 20h work too). "
        "Now: <code>{current}</code>.",
        "zh": "❓ <code>{typed}</code> 不是有效的时间。请用 <code>HH:MM</code>（00:00 到 23:59），"
        "如 <code>/time 08:30</code>（也可写 8、8:30、8pm、20h）。当前：<code>{current}</code>。",
    },
    "time_set": {
        "en": "✅ Daily digest at <code>{value}</code>.",
        "zh": "✅ 每日推送时间：<code>{value}</code>",
    },
    "timezone_usage": {
        "en": "Time zone now: <code>{current}</code>. Change it with an IANA zone, a city or a "
        "UTC offset, e.g. <code>/timezone Asia/Shanghai</code>, <code>/timezone Beijing</code> "
        "or <code>/timezone UTC+8</code>.",
        "zh": "当前时区：<code>{current}</code>。可用 IANA 时区、城市名或 UTC 偏移修改，如 "
        "<code>/timezone Asia/Shanghai</code>、<code>/timezone 北京</code> 或 "
        "<code>/timezone UTC+8</code>。",
    },
    "timezone_wrong": {
        "en": "❓ <code>{typed}</code> is not a time zone I know. Expected an IANA zone, a city "
        "or a UTC offset, e.g. <code>/timezone Asia/Shanghai</code>, <code>/timezone Beijing</code>"
        " or <code>/timezone UTC+8</code>. Now: <code>{current}</code>.",
        "zh": "❓ <code>{typed}</code> 不是可识别的时区。请用 IANA 时区、城市名或 UTC 偏移，如 "
        "<code>/timezone Asia/Shanghai</code>、<code>/timezone 北京</code> 或 "
        "<code>/timezone UTC+8</code>。当前：<code>{current}</code>。",
    },
    "timezone_set": {
        "en": "✅ Time zone: <code>{value}</code>",
        "zh": "✅ 时区：<code>{value}</code>",
    },
    "timezone_abbreviation": {
        "en": "<code>{abbreviation}</code> is read as {zone}.",
        "zh": "<code>{abbreviation}</code> 按 {zone} 理解。",
    },
    "timezone_dst": {
        "en": "It follows daylight saving time: {standard} in winter, {summer} in summer.",
        "zh": "随夏令时切换：冬季 {standard}，夏季 {summer}。",
    },
    "timezone_fixed": {
        "en": "A fixed offset, without daylight saving time; for a place that has it, send its "
        "city, e.g. <code>/timezone New York</code>.",
        "zh": "这是固定偏移，不随夏令时变化；如需夏令时，请发送城市名，如 "
        "<code>/timezone New York</code>。",
    },
    "timezone_alternatives": {
        "en": "If you meant another zone: {commands}",
        "zh": "如果你指的是其他时区：{commands}",
    },
    "digest_none_yet": {
        "en": "arXiv has not announced anything I have stored yet. I will send your digest after "
        "the next announcement.",
        "zh": "还没有可用的 arXiv 公告。下一次公告后我会推送你的摘要。",
    },
    "digest_fetch_failed": {
        "en": "⚠️ I could not reach arXiv just now. I will keep trying; /digest again in a few "
        "minutes.",
        "zh": "⚠️ 暂时无法连接 arXiv，我会继续重试，请几分钟后再发送 /digest。",
    },
    "digest_no_matches": {
        "en": "Nothing in the announcement of {date} matched what you follow. /list shows it.",
        "zh": "{date} 的公告中没有与你的订阅匹配的论文。/list 可查看订阅。",
    },
    "digest_no_more": {
        "en": "That was everything: no more papers in this digest.",
        "zh": "这期摘要已经全部发送，没有更多论文了。",
    },
    "export_caption": {
        "en": "arXiv digest {date} · {count} papers (Markdown)",
        "zh": "arXiv 摘要 {date} · {count} 篇（Markdown）",
    },
    "saved_empty": {
        "en": "No saved papers yet: tap ⭐ under a paper to save it.",
        "zh": "还没有收藏的论文：点击论文下方的 ⭐ 即可收藏。",
    },
    "saved_title": {"en": "<b>Saved papers</b> ({count})", "zh": "<b>收藏的论文</b>（{count}）"},
    "saved_on": {"en": "⭐ Saved (/saved)", "zh": "⭐ 已收藏（/saved）"},
    "saved_off": {"en": "Removed from saved", "zh": "已取消收藏"},
    "feedback_thanks": {"en": "Thanks, noted.", "zh": "收到，谢谢反馈。"},
    "feedback_undone": {"en": "Vote taken back.", "zh": "已撤销反馈。"},
    "saved_page": {"en": " · page {page}/{pages}", "zh": " · 第 {page}/{pages} 页"},
    "saved_hint": {
        "en": "✖ N removes paper N from the list.",
        "zh": "点 ✖ N 可从列表中移除第 N 篇。",
    },
    "saved_already_removed": {
        "en": "That paper was no longer saved.",
        "zh": "该论文已不在收藏中。",
    },
    "status_title": {"en": "<b>Status</b>", "zh": "<b>状态</b>"},
    "status_never_fetched": {"en": "No fetch yet.", "zh": "尚未抓取。"},
    "status_last_fetch": {
        "en": "Last fetch: {time} UTC, {state}",
        "zh": "最近抓取：{time} UTC，{state}",
    },
    "status_announcement": {"en": "Latest announcement: {date}", "zh": "最新公告：{date}"},
    "status_counts": {
        "en": "{code}: {announced} announced → {matched} matched → {sent} sent",
        "zh": "{code}：公告 {announced} → 匹配 {matched} → 已发送 {sent}",
    },
    "status_settings": {
        "en": "Daily digest at {time} ({timezone}), in {language}.",
        "zh": "每日 {time}（{timezone}）推送，语言 {language}。",
    },
    "status_paused": {"en": " Paused: /start resumes.", "zh": "（已暂停，/start 恢复）"},
    "stats_title": {"en": "<b>Stats</b>", "zh": "<b>统计</b>"},
    "stats_chats": {
        "en": "chats: {chats} (active {active}, paused {paused})",
        "zh": "聊天：{chats}（活跃 {active}，暂停 {paused}）",
    },
    "stats_subscriptions": {"en": "subscriptions: {count}", "zh": "订阅：{count}"},
    "stats_papers": {
        "en": "papers stored: {papers}, latest announcement: {latest}",
        "zh": "已存论文：{papers}，最新公告：{latest}",
    },
    "stats_last_fetch": {
        "en": "last fetch: {time} ({status})",
        "zh": "最近抓取：{time}（{status}）",
    },
    "stats_today": {
        "en": "deliveries today: {deliveries}, fetch failures today: {failures}",
        "zh": "今日推送：{deliveries}，今日抓取失败：{failures}",
    },
    "stats_outbox": {"en": "outbox: {waiting} waiting", "zh": "待发队列：{waiting} 条等待"},
    "stats_broadcast": {
        "en": "broadcast #{id}: {sent} of {chats} sent, {waiting} waiting, {failed} failed, "
        "{blocked} blocked the bot",
        "zh": "广播 #{id}：已发送 {sent}/{chats}，等待 {waiting}，失败 {failed}，"
        "{blocked} 个已屏蔽机器人",
    },
    "search_title": {
        "en": "🔎 <b>{query}</b> · page {page}",
        "zh": "🔎 <b>{query}</b> · 第 {page} 页",
    },
    "search_follow": {"en": "➕ Follow this as a keyword", "zh": "➕ 关注此关键词"},
    "search_usage": {
        "en": "Search arXiv: <code>/search diffusion models</code>, fields such as "
        "<code>/search au:lecun ti:energy</code>, <code>cat:cs.CV anomaly</code>, "
        "<code>sort:date</code>, or an id such as <code>/search 2403.11083</code>.",
        "zh": "搜索 arXiv：<code>/search diffusion models</code>，也支持字段语法如 "
        "<code>/search au:lecun ti:energy</code>、<code>cat:cs.CV anomaly</code>、"
        "<code>sort:date</code>，或直接输入编号如 <code>/search 2403.11083</code>。",
    },
    "search_bad_query": {
        "en": "arXiv could not understand <code>{query}</code>. Check the field syntax "
        "(ti:, au:, abs:, cat:, AND, OR, ANDNOT) or the id.",
        "zh": "arXiv 无法解析 <code>{query}</code>，请检查字段语法（ti:、au:、abs:、cat:、"
        "AND、OR、ANDNOT）或编号。",
    },
    "search_unavailable": {
        "en": "⚠️ arXiv's search is not answering right now. Please try again in a minute.",
        "zh": "⚠️ arXiv 搜索暂时无响应，请稍后再试。",
    },
    "search_no_results": {
        "en": "No results for <code>{query}</code>.",
        "zh": "没有找到 <code>{query}</code> 的结果。",
    },
    "search_too_long": {
        "en": "That query is too long (300 characters at most).",
        "zh": "查询太长了（最多 300 个字符）。",
    },
    "search_flood": {
        "en": "⏳ This bot allows {limit} arXiv searches a minute per chat (its own limit, not "
        "arXiv's; a result page not seen yet counts as one). Try again in {seconds} s.",
        "zh": "⏳ 本机器人限制每个聊天每分钟最多搜索 arXiv {limit} 次（这是机器人自己的限制，"
        "不是 arXiv 的；翻到尚未看过的结果页也计一次）。请 {seconds} 秒后再试。",
    },
    "search_expired": {
        "en": "This search has expired; please search again.",
        "zh": "该搜索已过期，请重新搜索。",
    },
    "search_cannot_follow": {
        "en": "This query cannot be followed as a keyword.",
        "zh": "该查询无法作为关键词关注。",
    },
    "search_followed": {"en": "➕ Following {items}", "zh": "➕ 已关注 {items}"},
    "search_follow_author": {"en": "author {name}", "zh": "作者 {name}"},
    "search_follow_negation": {
        "en": "A subscription cannot say “without” (ANDNOT, AND NOT, -word): follow the "
        "wanted words with /keyword and exclude the others with /keyword -word.",
        "zh": "订阅无法表达“排除”（ANDNOT、AND NOT、-词）：请用 /keyword 关注想要的词，"
        "并用 /keyword -词 排除其他词。",
    },
    "search_follow_field": {
        "en": "The digest cannot match {field} (only au:, ti:, abs:, all: and cat: can be "
        "followed): nothing was added.",
        "zh": "每日摘要无法按 {field} 匹配（只有 au:、ti:、abs:、all: 和 cat: 可以关注），"
        "未添加任何订阅。",
    },
    "search_follow_category": {
        "en": "{code} is not an arXiv category: nothing was added.",
        "zh": "{code} 不是 arXiv 分类，未添加任何订阅。",
    },
    "search_bad_sort": {
        "en": "❓ <code>sort:{value}</code> is not a sort order. Use <code>sort:date</code> "
        "(newest first; also new, newest), <code>sort:updated</code> or "
        "<code>sort:relevance</code> (the default).",
        "zh": "❓ <code>sort:{value}</code> 不是有效的排序方式。可用 <code>sort:date</code>"
        "（最新优先，也可写 new、newest）、<code>sort:updated</code> 或 "
        "<code>sort:relevance</code>（默认）。",
    },
    "list_hint": {
        "en": "Tap a button to remove it.",
        "zh": "点击按钮即可删除。",
    },
    "broadcast_usage": {
        "en": "Usage: <code>/broadcast TEXT</code> — you will see a preview first.",
        "zh": "用法：<code>/broadcast 内容</code>，发送前会先显示预览。",
    },
    "broadcast_preview": {
        "en": "📣 <b>Preview</b> — this goes to {chats} active chats:\n\n{text}",
        "zh": "📣 <b>预览</b>：将发送给 {chats} 个活跃聊天：\n\n{text}",
    },
    "broadcast_send": {
        "en": "✅ Send to {chats} chats",
        "zh": "✅ 发送给 {chats} 个聊天",
    },
    "broadcast_cancel": {
        "en": "✖️ Cancel",
        "zh": "✖️ 取消",
    },
    "broadcast_queued": {
        "en": "✅ Broadcast #{id} queued for {chats} chats. /stats shows its progress.",
        "zh": "✅ 广播 #{id} 已排队，共 {chats} 个聊天。/stats 可查看进度。",
    },
    "broadcast_cancelled": {
        "en": "✖️ Broadcast cancelled; nothing was sent.",
        "zh": "✖️ 广播已取消，未发送任何消息。",
    },
    "broadcast_done_already": {
        "en": "This broadcast was already sent or cancelled.",
        "zh": "此广播已发送或已取消。",
    },
    "watch_updated": {
        "en": "⭐ Saved paper updated: <b>{title}</b> — {changes}\n🔗 {link}",
        "zh": "⭐ 收藏的论文有更新：<b>{title}</b> — {changes}\n🔗 {link}",
    },
    "watch_version": {"en": "v{version} (was v{was})", "zh": "v{version}（原为 v{was}）"},
    "watch_journal": {"en": "journal: {ref}", "zh": "期刊：{ref}"},
    "watch_doi": {"en": "DOI {doi}", "zh": "DOI {doi}"},
    "watch_separator": {"en": "; ", "zh": "；"},
    # More like this, reactions, /calibrate, /forget (bot.ranker through bot.ranking).
    "similar_working": {
        "en": "🔎 Looking for similar papers…",
        "zh": "🔎 正在查找相似论文…",
    },
    "similar_title": {
        "en": "🔎 <b>Similar papers</b> of the last 30 days, new to you, like\n<i>{title}</i>",
        "zh": "🔎 最近 30 天里你还没看过的<b>相似论文</b>，参照\n<i>{title}</i>",
    },
    "similar_none": {
        "en": "🔎 Nothing similar to <i>{title}</i> that you have not been sent already "
        "(last 30 days).",
        "zh": "🔎 最近 30 天里没有你还没收到过的、与 <i>{title}</i> 相似的论文。",
    },
    "similar_liked": {
        "en": "👍 Counted as a 👍: your ranking leans this way.",
        "zh": "👍 已记为 👍：排序会向这类论文倾斜。",
    },
    "similar_no_vocabulary": {
        "en": "🔎 I cannot compare papers yet: I learn arXiv's words from the papers of the "
        "last 30 days, and I have not read them since I started. Try again in a few minutes.",
        "zh": "🔎 暂时还无法比较论文：我需要先读完最近 30 天的论文来学习 arXiv 的词汇，"
        "启动后还没读完。请几分钟后再试。",
    },
    "similar_paper_gone": {
        "en": "This paper is no longer stored, so there is nothing to compare it with.",
        "zh": "这篇论文已不在存储中，无法比较。",
    },
    "calibrate_intro": {
        "en": "🎯 <b>Calibrate</b>: the {count} recent papers I am least sure about for you. "
        "👍 or 👎 each one; every answer sharpens your ranking.",
        "zh": "🎯 <b>校准</b>：最近我对你最拿不准的 {count} 篇论文。"
        "逐篇点 👍 或 👎，每次回答都会让排序更准。",
    },
    "calibrate_none": {
        "en": "🎯 Nothing to ask about: you rated every recent paper of your subscriptions.",
        "zh": "🎯 没有需要询问的：你已为订阅中最近的每篇论文打过分。",
    },
    "calibrate_needs": {
        "en": "🎯 Your ranking starts after 5 👍 (⭐ counts) and 3 👎: {up} 👍 and {down} 👎 "
        "still to go.",
        "zh": "🎯 有 5 个 👍（⭐ 也算）和 3 个 👎 后排序才会启用：还差 {up} 个 👍 和 "
        "{down} 个 👎。",
    },
    "calibrate_training": {
        "en": "🎯 You have enough votes; your ranking is being trained. /calibrate again in a "
        "minute.",
        "zh": "🎯 票数已够，正在训练你的排序模型。请一分钟后再发送 /calibrate。",
    },
    "calibrate_offer": {
        "en": "Papers of your recent digests to rate:",
        "zh": "以下是你最近摘要中的论文，可以打分：",
    },
    "calibrate_nothing_to_offer": {
        "en": "Vote 👍 or 👎 under the papers of your digests (/digest brings the latest).",
        "zh": "请在摘要的论文下方点 👍 或 👎（/digest 获取最新一期）。",
    },
    "forget_ask": {
        "en": "🗑 Forget your {votes} 👍/👎 and your ranking model? Digests go back to the "
        "rules' order. Your {saved} saved papers stay (/saved).",
        "zh": "🗑 删除你的 {votes} 个 👍/👎 和排序模型吗？摘要将恢复按规则排序。"
        "你收藏的 {saved} 篇论文会保留（/saved）。",
    },
    "forget_yes": {"en": "✅ Forget", "zh": "✅ 删除"},
    "forget_no": {"en": "✖️ Keep", "zh": "✖️ 保留"},
    "forget_done": {
        "en": "🗑 Forgotten: {votes} 👍/👎 and your ranking model. Your saved papers stay (/saved).",
        "zh": "🗑 已删除：{votes} 个 👍/👎 和你的排序模型。收藏的论文保留（/saved）。",
    },
    "forget_cancelled": {
        "en": "✖️ Nothing was forgotten.",
        "zh": "✖️ 未删除任何内容。",
    },
    # The model's order of a digest (bot/rank_order.py): read by bot/render/labels.py, as the
    # digest is a document in the digest language.
    "digest_exploring": {
        "en": "Not sure you want this one — 👍/👎 teaches me",
        "zh": "不确定你想不想看这篇——点 👍/👎 教教我",
    },
    "digest_below_threshold": {
        "en": "{count} below your ranking threshold (/settings)",
        "zh": "另有 {count} 篇低于你的排序阈值（/settings）",
    },
    "set_threshold": {"en": "Ranking threshold", "zh": "排序阈值"},
    "threshold_off": {"en": "off", "zh": "关"},
    "threshold_low": {"en": "low", "zh": "低"},
    "threshold_high": {"en": "high", "zh": "高"},
    "threshold_explained_off": {
        "en": "Ranking threshold off: your 👍/👎/⭐ order the digest, nothing is hidden.",
        "zh": "排序阈值：关。你的 👍/👎/⭐ 决定摘要的顺序，不隐藏任何论文。",
    },
    "threshold_explained_low": {
        "en": "Ranking threshold low: hides papers scoring below 95% of the ones you would 👍 "
        "(measured on your own 👍/⭐), counted in the overview; followed authors always show.",
        "zh": "排序阈值：低。隐藏评分低于你会点 👍 的论文中 95% 的那些（按你自己的 👍/⭐ 估计），"
        "并在概览中计数；关注的作者始终显示。",
    },
    "threshold_explained_high": {
        "en": "Ranking threshold high: keeps the best three quarters of what you would 👍 and "
        "hides much more of the rest, counted in the overview; followed authors always show.",
        "zh": "排序阈值：高。保留你会点 👍 的论文中评分最高的四分之三，隐藏更多其余论文，"
        "并在概览中计数；关注的作者始终显示。",
    },
    "status_database": {
        "en": "Database: {total} MB (file {file} MB + WAL {wal} MB; {free} MB free inside)",
        "zh": "数据库：{total} MB（文件 {file} MB + WAL {wal} MB；其中空闲 {free} MB）",
    },
}


def ui_language(language_code: str | None) -> str:
    """The interface language for a Telegram `language_code`: Chinese for zh*, else English."""
    if language_code and language_code.lower().startswith("zh"):
        return "zh"
    return "en"


def ui_language_name(lang: str) -> str:
    """The interface language as its readers name it (`zh` → 简体中文)."""
    return languages.native_name(_UI_LANGUAGE_CODES.get(lang, "en"))


def t(key: str, lang: str, **values: object) -> str:
    """The message `key` in `lang` (English when missing), with `values` filled in."""
    entry = MESSAGES[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text
