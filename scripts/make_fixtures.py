#!/usr/bin/env python3
"""Generate the HTML fixtures for the モデル事業概要 page parser, and the offline demo samples.

The live page is https://www.soumu.go.jp/kankeijinkou/discription/index.html ("discription" is
the site's own spelling).  Its real markup is not known to us: only its visible text was captured
(see the project's reference text, model-projects-page.txt).  This script carries that text,
embedded below as data, and writes it out in several plausible markups so the parser can be tested
on the textual structure of the page rather than on one guessed template.

    uv run python scripts/make_fixtures.py     # from the repository root

Outputs (all committed; this script only documents how they were made, stdlib only):

  tests/fixtures/model_projects_table.html        modern HTML5, <table> for 令和2年度, h4/h5 + <p> lists
  tests/fixtures/model_projects_dl.html           dl/div layout, no <table>, full-width digits/parens
  tests/fixtures/model_projects_oldstyle_sjis.html cp932 bytes, XHTML 1.0 Transitional, nested tables
  tests/fixtures/model_projects_no_table.html     negative: year headings only, no table or lists
  tests/fixtures/error_page.html                  negative: a 200 error / maintenance page
  tests/fixtures/model_projects_form_only.html    same content as model_projects_table.html, other form
  tests/fixtures/model_projects_count_mismatch.html  one body missing under 関係創出型 7団体
  pipeline/samples/v1_baseline.html               cp932, the reference content
  pipeline/samples/v2_new_year.html               cp932, v1 + a FICTIONAL 令和3年度 section
  pipeline/samples/v3_edited.html                 cp932, v2 with two content edits

The READMEs next to the outputs are hand-written and not touched by this script.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLES = ROOT / "pipeline" / "samples"

# ---------------------------------------------------------------------------------------------
# Content: the visible text of the page, as in the reference capture (half-width parentheses).
# ---------------------------------------------------------------------------------------------

PAGE_TITLE = "モデル事業概要"
INTRO_H2 = "プロジェクト概要"
INTRO_H3 = "「関係人口創出・拡大事業」の全体像"
INTRO_PARAS = [
    "地方圏は、人口減少・高齢化により、地域づくりの担い手不足という課題に直面しています。"
    "こうした課題に対し、移住した「定住人口」でもなく、観光に来た「交流人口」でもない、"
    "地域と多様に関わる者である「関係人口」に着目し、地域外からの交流の入り口を増やすことが"
    "必要だと考えられます(「これからの移住・交流施策のあり方に関する検討会」)。",
    "総務省では、地域外の者が関係人口となる機会・きっかけの提供に取り組む地方公共団体を支援する"
    "モデル事業を「関係人口創出・拡大事業」として実施しています。",
]
SAITAKU_H2 = "モデル事業採択団体"

# 令和2年度 (FY2020): table rows (name, prefecture, partners in 【】 or None, 事業概要 paragraphs)
Y2020_HEADING = "令和2年度モデル事業採択団体(全25団体)"
Y2020_CAPTION = "令和2年度採択団体一覧"
TABLE_HEAD = ("採択団体", "事業概要")
Y2020 = [
    ("石狩市", "北海道", None, [
        "地域農業ファンづくり→収穫体験などの体験型レクリエーションツアーの実施→農村滞在交流活動など、協働による段階的なメニュー設定から、最終的には、地域担い手への深化を目指す取り組みを行う。",
        "地域とのマッチングを支援する「移住トレーナー(既移住者団体メンバー)」を設置し、関係人口から地域の担い手への深化をフォローする。",
    ]),
    ("上士幌町", "北海道", None, [
        "都会の高スキルビジネスパーソンに、兼業副業で上士幌町の高品質の農産物の付加価値を向上してもらうことで、上士幌町の経済をさらに活性化し、関係人口もキャリアを積むことができる関係を形成する。",
        "関係人口となりうる者のキャリア形成にフォーカスし、実利を高めることで深化した関係をつくるきっかけを創出する。",
    ]),
    ("五戸町", "青森県", None, [
        "若い女性目線で町の魅力を発掘し、それを町内外に発信していくプロジェクトを、行政・企業・コーディネート機関が共創する。",
        "地域コミュニティとも連携し、町全体として継続的な関係構築に取り組む。",
    ]),
    ("田子町", "青森県", "岩手県二戸市、秋田県鹿角市", [
        "県境をまたいだ連携によって地域資源を掘り起こす「環十和田湖Gateway構想」のテーマである「食」に関して、地域内の案内人と関係人口が現地でのワークショップや東京の交流拠点での交流を実施。関係人口DBを構築し、関係人口が地域の魅力を広く発信する仕組みを作る。",
        "過年度の取組みを深化させ、県境を超えて一つの圏域として新しい人の流れを創る。",
    ]),
    ("一戸町", "岩手県", None, [
        "再生エネルギーの活用に関して協定を締結した横浜市と連携し、再生エネルギーの受給者拡大の活動を軸にイベント、勉強会等の開催、一戸町の魅力PRツアー等を実施する。",
    ]),
    ("大館市", "秋田県", None, [
        "食から関係人口の創出・拡大を図るため、地元農家と女子栄養大学等との協働により、「大館の味」を都市部でも簡単に味わってもらえる商品を開発する。",
        "「大館ファンクラブ」を設立し、食を通じた交流などにより大館のファンになった会員に、大館に関するイベント情報をSNS等により配信してもらうなど、継続的な関係構築に取り組む。",
    ]),
    ("羽後町", "秋田県", None, [
        "地域外に在住する者に、町内在住の高校生によるまちづくり活動である「みらいクリエイティ部」の活動メンターという役割を担ってもらい、プロジェクト実現までの伴走支援を行う。",
        "参加者を「おむすびと」として認定し、継続的にプロジェクトへ関わってもらう。",
    ]),
    ("長井市", "山形県", None, [
        "大学の在学生や卒業生に、市内各地区で実施する文化祭等の事業の企画会議に参加してもらい、地域住民と議論を重ねて事業への若者の参加を促すような企画の立案を行う。",
        "市出身の県外在住者等で構成される「ふるさと長井会」のウェブサイトを立ち上げる等情報発信を強化するほか、東京都などに居住する長井市と関係する者を対象に地域課題に関するワークショップ等を実施し、関係の深化を図る。",
    ]),
    ("結城市", "茨城県", None, [
        "ふるさと市民制度で関係人口の受け皿をつくった上で,都内で募集イベントを実施し、都内で精力的に活動しているクリエイター・フリーランスをメインに母集団形成を行い、歴史的建造物を中心とした空き店舗・施設に係る事業化を推進する。",
    ]),
    ("十日町市", "新潟県", None, [
        "大地の芸術祭を支える地域の問題を解決していくため、関係人口が参加する現地でのスタディツアーを複数回実施。集落とも連携しながら地域の課題解決のためのアクションプランの策定・実装を行う。",
        "次回の大地の芸術祭において、今回企画したプロジェクトを実施し、次年度以降にも継続して取り組む。",
    ]),
    ("高岡市", "富山県", None, [
        "令和元年度事業で本市の関係人口となった都市部のクリエイターが高岡市に滞在し、伝統工芸に関わる本市の職人等とともに、継続して商品開発に取り組み、新しい価値(文化や産業)を創造する。",
        "事業過程や成果を、関係人口となったクリエイターに発信してもらう。",
    ]),
    ("塩尻市", "長野県", None, [
        "オンラインサロン・副業を通じて継続的な関係人口プラットフォームを構築し、地域外のプロフェッショナル人材と市内のシビックイノベーターが協働で地域の課題解決に取り組む。",
        "2016年から実施しているMICHIKARA地方創生リーダーシッププログラムのノウハウやスキームを活用し、全国に横展開可能な事業を目指す。",
    ]),
    ("岡崎市", "愛知県", None, [
        "市内の振興山村地域において、地元住民とサイクリストが共に道路路肩の除草作業や遊歩道の補修、林道を活用したマウンテンバイクコースづくり等を行うなど、協働して地域の課題解決に取り組む。",
        "関係人口が自ら整備した地域においてサイクリングイベントを開催し、新たな関係人口の拡大と地域との協働の深化を目指す。",
    ]),
    ("南知多町", "愛知県", None, [
        "町内の篠島に祖父母を持つ若者世代をターゲットに、名古屋圏・首都圏での勉強会(ビジネスプラン検討)や現地でのプラン検証を通じて、継続的なビジネスモデルの構築や「ゆかりの人ネットワーク」の形成を図る。",
        "関係人口が、首都圏等で篠島のPRを行うほか、篠島でのイベントに参加することにより、双方向の情報交換を行い、空き家の活用などによる地域拠点等の創出を目指す。",
    ]),
    ("洲本市", "兵庫県", None, [
        "地元出身の社会人(大学卒業生)と地域との双方向の情報交流のためのホームページの制作、卒業生等の実践活動や活動拠点整備について検討するワークショップの開催、卒業生メーリングリストの作成を行う。",
        "都市部の大学との連携や、関係人口の受け入れやサポートの経験が豊富な協議会などと連携し、継続的な活動を行う。",
    ]),
    ("下北山村", "奈良県", None, [
        "過年度の事業で創出した関係人口と学生団体(まとい)の拠点を活用して、関係人口と地域が共同しながら、林業振興や特産品づくり、暮らしの継承などの地域課題の解決に取り組む。",
        "小規模自治体のモデルとして、これまでの取組を活かし、実践的な地域活動のプログラムにより関係性を深化させる。",
    ]),
    ("田辺市", "和歌山県", None, [
        "低山トラベラーを対象に、東京での連続講座と熊野でのフィールドワークを開催。地域住民と関わりながら、その暮らしや熊野の文化と深く関わる「林業・狩猟・農業」の体験を通して地域課題を理解し、解決に取り組むプログラムを構築する",
    ]),
    ("邑南町", "島根県", None, [
        "伴走型のセミナーを核に、地域資源を生かす商品を関係人口と一緒に作る「地産地消型ホームセンター」などの複数のプロジェクトを同時進行させる。",
        "セミナーのカリキュラムをまとめた関係人口創出マニュアルを策定し、ノウハウを町全体で共有。観光協会等を中心に持続的な中間支援・関係案内機能を構築する。",
    ]),
    ("海士町", "島根県", "新潟県粟島浦村", [
        "離島ファン層をターゲットとして、地域×人材マッチングの促進と関与の深化によって最終的に地域ニーズと結びつけ、関係人口を島の課題を解決する人へと育成し、将来の地域の担い手の確保・育成を行う。",
    ]),
    ("阿南市", "徳島県", None, [
        "関係人口がSUP(スタンドアップパドルボード)のイベントサポート等へ参画する。",
        "空き家・空き店舗の活用に関するフィールドワークを通じて、商店街の空き店舗のリノベーションや新たな拠点の整備を目指す。",
    ]),
    ("三好市", "徳島県", None, [
        "体験型地域貢献プログラムやモデル集落でのワークショップの企画・実施を通じ、主体的な関係人口の創出や、関係人口と協働して地域づくりに取り組む集落の掘り起こしを行う。",
        "関係人口創出の戦略として、「つかむ」「あたためる」「うながす」「つながる」という4つの基本ステップを設け、段階的に関係性を深める。",
    ]),
    ("牟岐町", "徳島県", None, [
        "町が関係人口(町外在住の大学生)を活用して実施してきた、町内の中高生を対象としたキャリア教育プログラムの対象を隣接自治体の中高生に拡大するとともに、隣接自治体間でプロジェクトチームを設置して教育支援を通じた連携を行う。",
        "一般社団法人HLABがサマースクールを開催している本町と他の開催地との間で連携セミナーを開催するとともに、他の開催地との情報交換会を設置し、共通の地域課題の解決に取り組む。",
    ]),
    ("土佐町", "高知県", "須崎市、四万十町", [
        "大手企業社員向け研修と、地域の事業シーズを活用した新たな事業の立ち上げを検証する「デュアルスタートアップラボ」を組み合わせることで、新規事業の創出を目指す。",
        "オンラインコミュニケーションツールの活用、廃校シェアオフィス等の交流拠点の創出、オンラインイベント等を通じた資金及び人材集め等により、継続的な体制づくりに取り組む。",
    ]),
    ("八代市", "熊本県", None, [
        "スマート農業や災害対策など、ICT/IoTを活用した地域課題解決についての最新の知識を身に付けることを目的としたセミナーやシンポジウムを開催し、こうした技術に関心の高い都市部の副業志向の人材を呼び込むとともに市民にICT/IoTビジネスに係る啓発を行い、新たなビジネスの創出を目指す。",
        "地域ビジネスを担う人材育成を目的として「やつしろ未来創造塾」を立ち上げるとともに、先行する他市の未来創造塾の修了生を招聘したセミナーを実施するなど、相乗効果を目指した交流を行う。",
    ]),
    ("五ヶ瀬町", "宮崎県", None, [
        "アグリプロジェクト(農業体験・棚田再生)、キャンプ、五ヶ瀬の探求型学習の視察、IT企業による廃校活用など、関係人口と協働した地域課題の解決に向けた政策立案コンテスト入賞企画の実践活動を展開する。",
        "五ヶ瀬中等教育学校の在校生や卒業生が関係人口案内人となれるよう、地元NPO法人が中間支援機能を担う。",
    ]),
]
LEGEND = "【 】内は連携して事業に取り組む団体"

RENKEI = "[複数団体の連携]"

# 令和元年度 (FY2019): (group heading, [(sub heading, bodies, consortia)])
Y2019_HEADING = "令和元年度モデル事業採択団体(全44団体)"
Y2019_CAPTION = "令和元年度採択団体一覧"
Y2019_GROUPS = [
    ("関係深化型 11団体", [
        ("関係深化型(ゆかり型) 6団体",
         ["新潟県村上市", "新潟県燕市", "長野県泰阜村", "滋賀県長浜市", "香川県三木町", "宮崎県五ヶ瀬町"],
         []),
        ("関係深化型(ふるさと納税型) 1団体",
         ["福井県坂井市"],
         []),
        ("関係深化型(ゆかり型・ふるさと納税型) 4団体",
         ["岩手県陸前高田市", "新潟県長岡市", "鹿児島県志布志市"],
         ["山梨県(山梨市、上野原市、甲州市、市川三郷町、丹波山村)"]),
    ]),
    ("関係創出型 7団体", [
        ("関係創出型 7団体",
         ["福島県矢祭町", "埼玉県横瀬町", "千葉県館山市", "長野県根羽村", "鳥取県鳥取市", "鹿児島県いちき串木野市"],
         ["秋田県(にかほ市、五城目町、羽後町)"]),
    ]),
    ("裾野拡大型 21団体", [
        ("裾野拡大型 21団体",
         ["岩手県住田町", "秋田県大館市", "茨城県つくば市", "栃木県鹿沼市", "栃木県小山市", "神奈川県松田町",
          "富山県高岡市", "富山県氷見市", "長野県東御市", "奈良県下北山村", "島根県邑南町", "島根県海士町",
          "徳島県東みよし町", "高知県津野町", "鹿児島県肝付町"],
         ["北海道(釧路市、北見市、岩見沢市、美唄市、深川市、富良野市、長沼町、秩父別町、鷹栖町、津別町、"
          "斜里町、厚真町、浦河町、鹿追町、新得町、清水町、大樹町)",
          "岩手県(宮古市)",
          "秋田県湯沢市(神奈川県横浜市)",
          "京都府福知山市(兵庫県丹波市、兵庫県朝来市)",
          "和歌山県(田辺市、白浜町)",
          "鳥取県(八頭町、南部町)"]),
    ]),
    ("裾野拡大(外国人)型 5団体", [
        ("裾野拡大(外国人)型 5団体",
         ["北海道秩父別町", "宮城県丸森町", "秋田県横手市", "徳島県阿南市", "熊本県菊池市"],
         []),
    ]),
]
DEFS2019 = [
    ("関係深化型(ゆかり型)",
     "その地域にルーツがある者等を対象に関係人口を募る仕組みを設け、地域と継続的なつながりを持つ機会を"
     "提供する取組を実施しています。"),
    ("関係深化型(ふるさと納税型)",
     "ふるさと納税の寄附者を対象に地域と継続的なつながりを持つ機会を提供する取組を実施しています。"),
    ("関係創出型",
     "これから地域との関わりを持とうとする者を対象に地域と継続的なつながりを持つ機会・きっかけを提供し、"
     "地域の課題やニーズと、関係人口となる者の想いやスキル・知見等をマッチングするための中間支援機能を"
     "形成する取組を実施しています。"),
    ("裾野拡大型",
     "都市部等に所在するNPO・大学のゼミなどと連携し、都市住民等の地域への関心を高めるための取組を"
     "実施しています。"),
    ("裾野拡大(外国人)型",
     "地域住民や地域団体等と連携し、外国人との交流を促進し地域(地域住民や地場産業)との継続的な"
     "つながりを創出するために行う取組を実施しています。"),
]

# 平成30年度 (FY2018)
Y2018_HEADING = "平成30年度モデル事業採択団体(全30団体)"
Y2018_CAPTION = "平成30年度採択団体一覧"
Y2018_GROUPS = [
    ("パターン(1)", [
        ("パターン(1)① 16団体(うち①②重複3団体)",
         ["北海道夕張市", "岩手県住田町", "秋田県鹿角市", "新潟県柏崎市", "長野県泰阜村", "岐阜県郡上市",
          "鳥取県日野町", "香川県三木町", "愛媛県西条市", "福岡県うきは市", "鹿児島県肝付町"],
         ["北海道(苫小牧市・長沼町・奥尻町・占冠村・美幌町)",
          "三重県(伊勢市・尾鷲市・鳥羽市・熊野市・志摩市・大台町・玉城町・度会町・大紀町・南伊勢町・"
          "紀北町・御浜町・紀宝町)"]),
        ("パターン(1)② 8団体(うち①②重複3団体)",
         ["北海道上士幌町", "北海道標茶町", "岩手県花巻市", "山形県最上町"],
         ["新潟県(新発田市・魚沼市)"]),
        ("パターン(1)①②重複 3団体",
         ["秋田県横手市", "福島県天栄村", "熊本県天草市"],
         []),
    ]),
    ("パターン(2)9団体", [
        ("パターン(2) 9団体",
         ["富山県南砺市", "島根県邑南町", "広島県福山市", "熊本県南小国町"],
         ["岩手県(一関市・釜石市)", "福井県(福井市・鯖江市・美浜町・若狭町)", "長野県(長野市・小川村)",
          "島根県益田市(津和野町・吉賀町)", "徳島県(美馬市・佐那河内村・美波町)"]),
    ]),
]
# (term, paragraph, ordered-list items)
DEFS2018 = [
    ("パターン(1)",
     "地域との関わりを持つ者のうち、その地域にルーツがある者等又はふるさと納税の寄附者に対して、"
     "地域と継続的なつながりを持つ機会を提供する取組",
     ["①その地域にルーツがある者等を対象に、「関係人口」を募る仕組みを地方公共団体が設け、"
      "その取組に賛同する者に対して地域と継続的なつながりを持つ機会を提供する取組",
      "②ふるさと納税を行った者(寄附者)に対して地域と継続的なつながりを持つ機会を提供する取組"]),
    ("パターン(2)",
     "これから地域との関わりを持とうとする者等であって、スキルや知見を有する都市部の人材等が、"
     "地域課題に関する講座を受講し、地域において地方公共団体と協働して実践活動等に取り組むことなどにより、"
     "都市部で暮らしながら、地域課題の解決等に継続的に関わるきっかけを提供する取組",
     []),
]

ADOBE_ALT = "Get ADOBE READER"
ADOBE_LINES = [
    "PDFファイルを見るためには、Adobe Readerというソフトが必要です。",
    "Adobe Readerは無料で配布されていますので、上記のアイコンをクリックしてダウンロードしてください。",
]
PORTAL_LINE1 = ("関係人口ポータルサイトでは、全国の地方公共団体の皆様から、関係人口創出・拡大に関する施策・取組や"
                "関連するイベントセミナー等の情報の登録を受け付けております。")
PORTAL_LINE2 = ("情報の掲載をご希望される方は、", "登録フォーム", "を通してご登録ください。")

# ---------------------------------------------------------------------------------------------
# FICTIONAL demo data for the offline pipeline samples only (pipeline/samples/v2, v3).
# There was no such 令和3年度 section on the captured page: real municipalities, invented content.
# ---------------------------------------------------------------------------------------------
Y2021_ROWS = [
    ("遠野市", "岩手県", None, [
        "「遠野物語」の舞台として知られる地域資源を生かし、首都圏在住の若者を対象に、民話の語り部や"
        "郷土芸能の担い手と交流するオンライン講座と現地でのフィールドワークを組み合わせたプログラムを実施する。",
        "参加者を「遠野ふるさと応援隊」として登録し、伝統行事の運営や地域産品の情報発信に継続的に"
        "関わってもらう仕組みを構築する。",
    ]),
    ("小布施町", "長野県", None, [
        "町内の栗農家や酒蔵、まちづくり団体と連携し、都市部の副業・兼業人材が地域事業者の商品開発や"
        "販路開拓に参画するプロジェクトを実施する。",
        "町内のシェアオフィスを関係人口の活動拠点として活用し、オンラインと現地滞在を組み合わせた"
        "継続的な関わりの仕組みを構築する。",
    ]),
    ("長島町", "鹿児島県", "熊本県天草市", [
        "海を挟んで隣接する天草市と連携し、漁業や柑橘栽培の体験、島の暮らしを学ぶ滞在型プログラムを"
        "実施して、両地域に継続的に関わる関係人口の創出を図る。",
        "参加者同士のオンラインコミュニティを運営し、地域イベントへの参加や特産品のPR等を通じて、"
        "段階的に関係を深化させる。",
    ]),
]


def y2021_heading(n: int) -> str:
    return f"令和3年度モデル事業採択団体(全{n}団体)"


Y2021_CAPTION = "令和3年度採択団体一覧"

# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

_FW = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}
_FW[0x20] = 0x3000


def zen(s: str) -> str:
    """All printable ASCII to full-width, space to U+3000 (headings: "関係深化型（ゆかり型）　６団体")."""
    return s.translate(_FW)


def zen_paren(s: str) -> str:
    return s.replace("(", "（").replace(")", "）")


def zen_digits_paren(s: str) -> str:
    return re.sub(r"[0-9()]", lambda m: zen(m.group()), s)


def e(s: str) -> str:
    return html.escape(s, quote=False)


def replace_once(text: str, old: str, new: str, count: int = 1) -> str:
    """str.replace that insists the target occurs exactly `count` times."""
    n = text.count(old)
    if n != count:
        raise SystemExit(f"make_fixtures: expected {count} x {old!r}, found {n}")
    return text.replace(old, new)


# ---------------------------------------------------------------------------------------------
# 1. modern HTML5 table layout (also the base of form_only / count_mismatch / no_table)
# ---------------------------------------------------------------------------------------------

def render_modern(*, date: str, broken: bool = False) -> str:
    o: list[str] = []
    a = o.append
    a("<!DOCTYPE html>")
    a('<html lang="ja">')
    a("<head>")
    a('<meta charset="UTF-8">')
    a('<meta name="viewport" content="width=device-width, initial-scale=1">')
    a('<meta http-equiv="X-UA-Compatible" content="IE=edge">')
    a(f"<title>{PAGE_TITLE}｜関係人口ポータルサイト｜総務省</title>")
    a('<meta name="description" content="総務省「関係人口創出・拡大事業」のモデル事業の概要と採択団体を紹介します。">')
    a('<link rel="stylesheet" href="/kankeijinkou/common/css/reset.css">')
    a('<link rel="stylesheet" href="/kankeijinkou/common/css/style.css">')
    a('<script src="/kankeijinkou/common/js/jquery-3.4.1.min.js"></script>')
    a('<script src="/kankeijinkou/common/js/common.js"></script>')
    a("</head>")
    a('<body id="discription" class="lower">')
    a('<div id="wrapper">')
    a('<p class="skip"><a href="#main">本文へ</a></p>')
    a('<header id="header">')
    a('  <div class="header-inner">')
    a('    <div class="header-logo"><a href="/kankeijinkou/index.html"><img src="/kankeijinkou/common/img/logo.png" alt="関係人口ポータルサイト" width="320" height="48"></a></div>')
    a('    <div class="header-soumu"><a href="https://www.soumu.go.jp/" target="_blank" rel="noopener"><img src="/kankeijinkou/common/img/logo_soumu.png" alt="総務省" width="90" height="30"></a></div>')
    a('    <ul class="header-util">')
    a('      <li><a href="/kankeijinkou/sitemap.html">サイトマップ</a></li>')
    a('      <li><a href="/kankeijinkou/contact/index.html">お問い合わせ</a></li>')
    a('    </ul>')
    a("  </div>")
    a('  <nav id="gnav" aria-label="グローバルナビゲーション">')
    a("    <ul>")
    a('      <li><a href="/kankeijinkou/index.html">トップ</a></li>')
    a('      <li><a href="/kankeijinkou/about/index.html">関係人口とは</a></li>')
    a('      <li class="current"><a href="/kankeijinkou/discription/index.html" aria-current="page">モデル事業概要</a></li>')
    a('      <li><a href="/kankeijinkou/model_list.html">モデル団体による事業</a></li>')
    a('      <li><a href="/kankeijinkou/initiative/index.html">地方公共団体の取組</a></li>')
    a('      <li><a href="/kankeijinkou/event/index.html">イベント・セミナー</a></li>')
    a('      <li><a href="/kankeijinkou/link/index.html">関連リンク</a></li>')
    a("    </ul>")
    a("  </nav>")
    a("</header>")
    a('<nav class="breadcrumb" aria-label="パンくずリスト">')
    a("  <ol>")
    a('    <li><a href="/kankeijinkou/index.html">トップ</a></li>')
    a(f"    <li>{PAGE_TITLE}</li>")
    a("  </ol>")
    a("</nav>")
    a('<main id="main">')
    a('  <div class="contents">')
    a(f'    <h1 class="page-title">{PAGE_TITLE}</h1>')
    a('    <section class="sec-overview">')
    a(f"      <h2>{INTRO_H2}</h2>")
    a(f"      <h3>{INTRO_H3}</h3>")
    if not broken:
        for p in INTRO_PARAS:
            a(f"      <p>{e(p)}</p>")
        a('      <p class="fig"><img src="img/zentaizou.png" alt="" width="800" height="450"></p>')
    a("    </section>")
    a('    <section class="sec-saitaku">')
    a(f"      <h2>{SAITAKU_H2}</h2>")
    # 令和2年度
    a('      <section id="r02">')
    a(f"        <h3>{e(Y2020_HEADING)}</h3>")
    if not broken:
        a('        <div class="tbl-wrap">')
        a('        <table class="tbl-saitaku">')
        a(f"          <caption>{Y2020_CAPTION}</caption>")
        a("          <thead>")
        a(f'            <tr><th scope="col" class="col-name">{TABLE_HEAD[0]}</th><th scope="col" class="col-desc">{TABLE_HEAD[1]}</th></tr>')
        a("          </thead>")
        a("          <tbody>")
        for name, pref, partners, paras in Y2020:
            cell = f"{e(name)}<br>({e(pref)})"
            if partners:
                cell += f'<br><span class="renkei">【{e(partners)}】</span>'
            a("            <tr>")
            a(f'              <td class="name">{cell}</td>')
            a('              <td class="desc">')
            for p in paras:
                a(f"                <p>{e(p)}</p>")
            a("              </td>")
            a("            </tr>")
        a("          </tbody>")
        a("        </table>")
        a("        </div>")
        a(f'        <p class="note">{LEGEND}</p>')
    a("      </section>")
    # 令和元年度, 平成30年度
    for sec_id, heading, caption, groups, defs in (
        ("r01", Y2019_HEADING, Y2019_CAPTION, Y2019_GROUPS, "2019"),
        ("h30", Y2018_HEADING, Y2018_CAPTION, Y2018_GROUPS, "2018"),
    ):
        a(f'      <section id="{sec_id}">')
        a(f"        <h3>{e(heading)}</h3>")
        if not broken:
            a(f'        <p class="list-caption"><strong>{caption}</strong></p>')
            for gh, subs in groups:
                a('        <div class="type-box">')
                a(f"          <h4>{e(gh)}</h4>")
                for sh, bodies, consortia in subs:
                    a(f"          <h5>{e(sh)}</h5>")
                    a(f"          <p>{e('、'.join(bodies))}</p>")
                    if consortia:
                        a(f'          <p class="renkei">{RENKEI}</p>')
                        a(f"          <p>{e('、'.join(consortia))}</p>")
                a("        </div>")
            a('        <dl class="type-def">')
            if defs == "2019":
                for term, text in DEFS2019:
                    a(f"          <dt>{e(term)}</dt>")
                    a(f"          <dd><p>{e(text)}</p></dd>")
            else:
                for term, text, items in DEFS2018:
                    a(f"          <dt>{e(term)}</dt>")
                    a("          <dd>")
                    a(f"            <p>{e(text)}</p>")
                    if items:
                        a("            <ol>")
                        for it in items:
                            a(f"              <li>{e(it)}</li>")
                        a("            </ol>")
                    a("          </dd>")
            a("        </dl>")
        a("      </section>")
    a("    </section>")
    a('    <div class="adobe">')
    a(f'      <p class="adobe-icon"><a href="https://get.adobe.com/jp/reader/" target="_blank" rel="noopener"><img src="/kankeijinkou/common/img/get_adobe_reader.png" alt="{ADOBE_ALT}" width="158" height="39"></a></p>')
    a(f"      <p>{ADOBE_LINES[0]}<br>{ADOBE_LINES[1]}</p>")
    a("    </div>")
    a("  </div>")
    a("</main>")
    a('<div class="portal-entry">')
    a(f'  <p>{PORTAL_LINE1}<br>{PORTAL_LINE2[0]}<a href="/kankeijinkou/form/index.html">{PORTAL_LINE2[1]}</a>{PORTAL_LINE2[2]}</p>')
    a("</div>")
    a('<p class="pagetop"><a href="#wrapper">ページの先頭へ</a></p>')
    a('<footer id="footer">')
    a(f'  <p class="update">最終更新日：{date}</p>')
    a('  <ul class="footer-nav">')
    a('    <li><a href="https://www.soumu.go.jp/menu_kyotsuu/policy/tyosaku.html">著作権について</a></li>')
    a('    <li><a href="https://www.soumu.go.jp/menu_kyotsuu/policy/privacy.html">プライバシーポリシー</a></li>')
    a('    <li><a href="https://www.soumu.go.jp/menu_kyotsuu/policy/accessibility.html">ウェブアクセシビリティ</a></li>')
    a("  </ul>")
    a('  <address>総務省　〒100-8926 東京都千代田区霞が関2-1-2　電話：03-5253-5111（代表）</address>')
    a('  <p class="copyright"><small>Copyright &copy; Ministry of Internal Affairs and Communications. All Rights Reserved.</small></p>')
    a("</footer>")
    a("</div>")
    a("</body>")
    a("</html>")
    return "\n".join(o) + "\n"


def make_form_only(base: str) -> str:
    """Fixture 1 with form-only changes: same content, other whitespace/attributes/widths/comments."""
    t = base
    # different date (the last-updated line is not content)
    t = replace_once(t, "最終更新日：2021年3月31日", "最終更新日：2021年4月9日")
    # full-width / half-width swaps that normalise back to the same text
    t = replace_once(t, "<h3>令和2年度モデル事業採択団体(全25団体)</h3>", "<h3>令和2年度モデル事業採択団体（全２５団体）</h3>")
    t = replace_once(t, "<h3>平成30年度モデル事業採択団体(全30団体)</h3>", "<h3>平成３０年度モデル事業採択団体(全３０団体)</h3>")
    t = replace_once(t, "石狩市<br>(北海道)", "石狩市<br>（北海道）")
    t = replace_once(t, "上士幌町<br>(北海道)", "上士幌町<br />\n                （北海道）")
    t = replace_once(t, "海士町<br>(島根県)", "海士町<br>（島根県）")
    t = replace_once(t, "関係人口がSUP(スタンドアップパドルボード)", "関係人口がＳＵＰ（スタンドアップパドルボード）")
    t = replace_once(t, "ICT/IoT", "ＩＣＴ／ＩｏＴ", count=2)
    t = replace_once(t, "2016年から実施しているMICHIKARA", "２０１６年から実施しているＭＩＣＨＩＫＡＲＡ")
    t = replace_once(t, "<h5>関係深化型(ゆかり型) 6団体</h5>", "<h5>関係深化型（ゆかり型）　６団体</h5>")
    t = replace_once(t, "<h4>裾野拡大型 21団体</h4>", "<h4>裾野拡大型&nbsp;21団体</h4>")
    t = replace_once(t, "<h5>パターン(1)① 16団体(うち①②重複3団体)</h5>", "<h5>パターン（１）①　１６団体（うち①②重複３団体）</h5>")
    t = replace_once(t, '<p class="renkei">[複数団体の連携]</p>\n          <p>北海道(釧路市',
                     '<p class="renkei">［複数団体の連携］</p>\n          <p>北海道（釧路市')
    t = replace_once(t, "大樹町)、岩手県(宮古市)", "大樹町）、岩手県（宮古市）")
    # attribute order / quoting / void-element style
    t = replace_once(t, '<td class="name">', '<td  data-col="1" class="name" >', count=25)
    t = replace_once(t, '<td class="desc">', "<td data-col='2' class='desc'>", count=25)
    t = replace_once(t, '<th scope="col" class="col-name">', '<th class="col-name" scope="col">')
    t = replace_once(t, '<th scope="col" class="col-desc">', '<th class="col-desc" scope="col">')
    t = replace_once(t, '<meta name="viewport" content="width=device-width, initial-scale=1">',
                     '<meta content="width=device-width,initial-scale=1" name="viewport" />')
    t = replace_once(t, '<table class="tbl-saitaku">', '<table summary="" class="tbl-saitaku tbl-saitaku--r02">')
    # extra comments
    t = replace_once(t, '<section id="r02">', '<!-- ▼令和2年度 -->\n<section id="r02">')
    t = replace_once(t, '<section id="r01">', '<!-- ▼令和元年度 -->\n<section id="r01"><!-- /r01 open -->')
    t = replace_once(t, '<section id="h30">', '<!-- ▼平成30年度 -->\n<section id="h30">')
    t = replace_once(t, "          <tbody>", "          <tbody><!-- 採択団体一覧 ここから -->")
    t = replace_once(t, '<p class="note">', '<!-- 凡例 --><p class="note">')
    # extra wrapper divs
    t = replace_once(t, '<main id="main">', '<div class="l-container"><div class="l-container__inner">\n<main id="main">')
    t = replace_once(t, "</main>", "</main>\n</div></div><!-- /.l-container -->")
    # different indentation: tabs instead of two-space steps, and some blank lines
    t = re.sub(r"(?m)^((?:  )+)", lambda m: "\t" * (len(m.group(1)) // 2), t)
    t = re.sub(r"(?m)^(\t*)<tr>$", "\n\\1<tr>", t)
    return t


def make_count_mismatch(base: str) -> str:
    """Fixture 1 with 千葉県館山市 dropped from 関係創出型 while the heading still says 7団体."""
    return replace_once(base, "埼玉県横瀬町、千葉県館山市、長野県根羽村", "埼玉県横瀬町、長野県根羽村")


# ---------------------------------------------------------------------------------------------
# 2. dl/div layout, no <table>, full-width digits and parentheses
# ---------------------------------------------------------------------------------------------

# which sub-lists are written as <ul><li> per body (the others as one "、"-separated <p>)
DL_AS_UL = {"裾野拡大型 21団体", "裾野拡大(外国人)型 5団体", "パターン(1)① 16団体(うち①②重複3団体)",
            "パターン(1)①②重複 3団体"}
DL_CONSORTIA_AS_UL = {"裾野拡大型 21団体", "パターン(2) 9団体"}


def render_dl(*, date: str) -> str:
    o: list[str] = []
    a = o.append
    a("<!doctype html>")
    a('<html lang="ja" class="no-js">')
    a("<head>")
    a('<meta charset="utf-8">')
    a('<meta name="viewport" content="width=device-width, initial-scale=1.0">')
    a(f"<title>{PAGE_TITLE} | 関係人口ポータルサイト</title>")
    a('<link rel="stylesheet" href="/kankeijinkou/assets/css/app.css">')
    a('<link rel="icon" href="/kankeijinkou/assets/img/favicon.ico">')
    a("</head>")
    a("<body>")
    a('<div class="l-page">')
    a('<a class="skip-link" href="#contents">本文へ</a>')
    a('<div class="l-header">')
    a('<div class="l-header__logo"><a href="/kankeijinkou/"><img src="/kankeijinkou/assets/img/logo.svg" alt="関係人口ポータルサイト"></a></div>')
    a('<div class="l-header__sub"><a href="https://www.soumu.go.jp/">総務省ホームページ</a><a href="/kankeijinkou/sitemap.html">サイトマップ</a></div>')
    a('<button class="l-header__menu" type="button" aria-controls="gnav" aria-expanded="false">メニュー</button>')
    a("</div>")
    a('<div class="gnav" id="gnav">')
    a('<div class="gnav__item"><a href="/kankeijinkou/about/index.html">関係人口とは</a></div>')
    a('<div class="gnav__item is-current"><a href="/kankeijinkou/discription/index.html">モデル事業概要</a></div>')
    a('<div class="gnav__item"><a href="/kankeijinkou/model_list.html">モデル団体による事業</a></div>')
    a('<div class="gnav__item"><a href="/kankeijinkou/initiative/index.html">地方公共団体の取組</a></div>')
    a('<div class="gnav__item"><a href="/kankeijinkou/event/index.html">イベント・セミナー</a></div>')
    a("</div>")
    a('<div class="breadcrumbs"><a href="/kankeijinkou/">ホーム</a><span class="sep">＞</span><span class="current">'
      f"{PAGE_TITLE}</span></div>")
    a('<div id="contents" class="l-main" role="main">')
    a(f'<div class="ttl ttl--page">{PAGE_TITLE}</div>')
    a(f'<div class="ttl ttl--lv2">{INTRO_H2}</div>')
    a(f'<h3 class="ttl--lv3">{INTRO_H3}</h3>')
    for p in INTRO_PARAS:
        a(f'<div class="txt"><p>{e(zen_paren(p))}</p></div>')
    a(f'<div class="ttl ttl--lv2">{SAITAKU_H2}</div>')
    a('<div class="year" id="year-r2">')
    a(f"<h3>{e(zen(Y2020_HEADING))}</h3>")
    a(f'<div class="ttl ttl--caption">{e(zen(Y2020_CAPTION))}</div>')
    a('<div class="saitaku">')
    a(f'<div class="saitaku__head"><div class="name">{TABLE_HEAD[0]}</div><div class="desc">{TABLE_HEAD[1]}</div></div>')
    for name, pref, partners, paras in Y2020:
        dt = f'{e(name)}<span class="pref">（{e(pref)}）</span>'
        if partners:
            dt += f'<br><span class="renkei">【{e(partners)}】</span>'
        a('<dl class="saitaku__row">')
        a(f"<dt>{dt}</dt>")
        a("<dd>" + "".join(f"<p>{e(zen_paren(p))}</p>" for p in paras) + "</dd>")
        a("</dl>")
    a("</div>")
    a(f'<div class="note">{LEGEND}</div>')
    a("</div>")
    for sec_id, heading, caption, groups in (
        ("year-r1", Y2019_HEADING, Y2019_CAPTION, Y2019_GROUPS),
        ("year-h30", Y2018_HEADING, Y2018_CAPTION, Y2018_GROUPS),
    ):
        a(f'<div class="year" id="{sec_id}">')
        a(f"<h3>{e(zen(heading))}</h3>")
        a(f'<div class="ttl ttl--caption">{e(zen(caption))}</div>')
        for gh, subs in groups:
            a('<div class="type">')
            a(f'<div class="ttl ttl--type">{e(zen(gh))}</div>')
            for sh, bodies, consortia in subs:
                a(f"<h4>{e(zen(sh))}</h4>")
                if sh in DL_AS_UL:
                    a('<ul class="bodies">' + "".join(f"<li>{e(b)}</li>" for b in bodies) + "</ul>")
                else:
                    a(f'<p class="bodies">{e("、".join(bodies))}</p>')
                if consortia:
                    a(f'<div class="renkei-label">{zen(RENKEI)}</div>')
                    cons = [zen_paren(c) for c in consortia]
                    if sh in DL_CONSORTIA_AS_UL:
                        a('<ul class="renkei-list">')
                        for c in cons:
                            a(f"  <li>{e(c)}</li>")
                        a("</ul>")
                    else:
                        a(f'<p class="renkei-list">{e("、".join(cons))}</p>')
            a("</div>")
        if groups is Y2019_GROUPS:
            a('<dl class="type-def">')
            for term, text in DEFS2019:
                a(f"<dt>{e(zen_paren(term))}</dt><dd>{e(zen_paren(text))}</dd>")
            a("</dl>")
        else:
            a('<div class="type-def">')
            for term, text, items in DEFS2018:
                a(f'<div class="ttl ttl--def">{e(zen(term))}</div>')
                a(f"<p>{e(zen_paren(text))}</p>")
                if items:
                    a('<ol class="list-circled">' + "".join(f"<li>{e(zen_paren(i))}</li>" for i in items) + "</ol>")
            a("</div>")
        a("</div>")
    a('<div class="box-adobe">')
    a(f'<div class="box-adobe__img"><a href="https://get.adobe.com/jp/reader/"><img src="/kankeijinkou/assets/img/get_adobe_reader.png" alt="{ADOBE_ALT}"></a></div>')
    a(f'<div class="box-adobe__txt"><p>{ADOBE_LINES[0]}</p><p>{ADOBE_LINES[1]}</p></div>')
    a("</div>")
    a("</div>")
    a('<div class="c-entry">')
    a(f'<p>{PORTAL_LINE1}</p><p>{PORTAL_LINE2[0]}<a class="c-entry__link" href="/kankeijinkou/form/index.html">{PORTAL_LINE2[1]}</a>{PORTAL_LINE2[2]}</p>')
    a("</div>")
    a('<div class="l-footer">')
    a(f'<div class="l-footer__update">最終更新日：{date}</div>')
    a('<div class="l-footer__links"><a href="https://www.soumu.go.jp/menu_kyotsuu/policy/tyosaku.html">著作権について</a>'
      '<a href="https://www.soumu.go.jp/menu_kyotsuu/policy/privacy.html">プライバシーポリシー</a></div>')
    a('<div class="l-footer__copy">&copy; 総務省 Ministry of Internal Affairs and Communications</div>')
    a("</div>")
    a("</div>")
    a('<script src="/kankeijinkou/assets/js/app.js" defer></script>')
    a("</body>")
    a("</html>")
    return "\n".join(o) + "\n"


# ---------------------------------------------------------------------------------------------
# 3. old-style Shift_JIS (cp932) page: XHTML 1.0 Transitional, nested tables, <font>, <br>
# ---------------------------------------------------------------------------------------------

def render_oldstyle(*, date: str) -> str:
    z = zen  # headings and counts: full-width everywhere
    zp = zen_digits_paren  # running text: full-width digits and parentheses
    o: list[str] = []
    a = o.append
    a('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
      '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">')
    a('<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="ja" lang="ja">')
    a("<HEAD>")
    a('<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS" />')
    a('<meta http-equiv="Content-Style-Type" content="text/css" />')
    a('<meta http-equiv="Content-Script-Type" content="text/javascript" />')
    a(f"<TITLE>総務省｜関係人口ポータルサイト｜{PAGE_TITLE}</TITLE>")
    a('<LINK REL="stylesheet" TYPE="text/css" HREF="../common/css/import.css" />')
    a('<script type="text/javascript" src="../common/js/rollover.js"></script>')
    a("</HEAD>")
    a('<BODY BGCOLOR="#FFFFFF" TEXT="#333333" LINK="#003399" VLINK="#663399" LEFTMARGIN="0" TOPMARGIN="0" MARGINWIDTH="0" MARGINHEIGHT="0">')
    a('<a name="top" id="top"></a>')
    a('<DIV CLASS="skip"><A HREF="#honbun"><IMG SRC="../common/img/spacer.gif" WIDTH="1" HEIGHT="1" BORDER="0" ALT="" />本文へ</A></DIV>')
    a("<!-- ===== header ===== -->")
    a('<TABLE WIDTH="900" BORDER="0" CELLPADDING="0" CELLSPACING="0" ALIGN="center" SUMMARY="">')
    a("<TR>")
    a('<TD WIDTH="600" HEIGHT="70"><A HREF="../index.html"><IMG SRC="../common/img/head_logo.gif" WIDTH="420" HEIGHT="60" BORDER="0" ALT="関係人口ポータルサイト" /></A></TD>')
    a('<TD WIDTH="300" ALIGN="right" VALIGN="bottom"><FONT SIZE="2"><A HREF="https://www.soumu.go.jp/">総務省トップ</A>&nbsp;|&nbsp;'
      '<A HREF="../sitemap.html">サイトマップ</A>&nbsp;|&nbsp;<A HREF="../contact/index.html">お問い合わせ</A></FONT></TD>')
    a("</TR>")
    a("<TR>")
    a('<TD COLSPAN="2" BGCOLOR="#E6EEF7" HEIGHT="24"><FONT SIZE="2">&nbsp;<A HREF="../index.html">トップ</A>&nbsp;&gt;&nbsp;'
      f"{PAGE_TITLE}</FONT></TD>")
    a("</TR>")
    a("</TABLE>")
    a("<!-- ===== /header ===== -->")
    a("")
    a('<TABLE WIDTH="900" BORDER="0" CELLPADDING="0" CELLSPACING="0" ALIGN="center" SUMMARY="layout">')
    a("<TR>")
    a("<!-- left navigation -->")
    a('<TD WIDTH="180" VALIGN="top" BGCOLOR="#F4F7FB">')
    a('<table width="180" border="0" cellpadding="4" cellspacing="0" summary="menu">')
    for href, label in (("../index.html", "トップ"), ("../about/index.html", "関係人口とは"),
                        ("index.html", PAGE_TITLE), ("../model_list.html", "モデル団体による事業"),
                        ("../initiative/index.html", "地方公共団体の取組"), ("../event/index.html", "イベント・セミナー"),
                        ("../link/index.html", "関連リンク")):
        a(f'<tr><td><img src="../common/img/arrow.gif" width="8" height="8" alt="" />&nbsp;<font size="2"><a href="{href}">{label}</a></font></td></tr>')
    a("</table>")
    a("</TD>")
    a('<TD WIDTH="20"><IMG SRC="../common/img/spacer.gif" WIDTH="20" HEIGHT="1" ALT="" /></TD>')
    a("<!-- main contents -->")
    a('<TD WIDTH="700" VALIGN="top">')
    a('<a name="honbun" id="honbun"></a>')
    a('<TABLE WIDTH="100%" BORDER="0" CELLPADDING="0" CELLSPACING="0" SUMMARY="">')
    a("<TR><TD>")
    a(f'<FONT SIZE="+2" COLOR="#003366"><B>{PAGE_TITLE}</B></FONT><BR><BR>')
    a(f'<FONT SIZE="+1" COLOR="#003366"><B>{INTRO_H2}</B></FONT><BR><BR>')
    a(f"<B>{INTRO_H3}</B><BR>")
    a('<font size="2">' + "<BR><BR>".join(e(zp(p)) for p in INTRO_PARAS) + "</font><BR><BR>")
    a('<img src="img/zentaizou.gif" width="680" height="380" alt="" /><BR><BR>')
    a("</TD></TR>")
    a("<TR><TD>")
    a(f'<FONT SIZE="+1" COLOR="#003366"><B>{SAITAKU_H2}</B></FONT><BR><BR>')
    a("<!-- R2 -->")
    a(f'<FONT COLOR="#003366"><B>{e(z(Y2020_HEADING))}</B></FONT><BR>')
    a(f'<font size="2">{e(z(Y2020_CAPTION))}</font><BR>')
    a('<TABLE WIDTH="100%" BORDER="1" CELLPADDING="5" CELLSPACING="0" BORDERCOLOR="#999999" SUMMARY="令和２年度採択団体一覧">')
    a(f'<TR BGCOLOR="#DDE8F4"><TH WIDTH="22%" NOWRAP><FONT SIZE="2">{TABLE_HEAD[0]}</FONT></TH>'
      f'<TH><FONT SIZE="2">{TABLE_HEAD[1]}</FONT></TH></TR>')
    for i, (name, pref, partners, paras) in enumerate(Y2020):
        name_cell = f"{e(name)}（{e(pref)}）"
        if partners:
            name_cell += f"<BR>【{e(partners)}】"
        tr = "<TR>" if i % 2 == 0 else '<TR BGCOLOR="#F8F8F8">'
        a(tr)
        a(f'<TD VALIGN="top" NOWRAP><FONT SIZE="2">{name_cell}</FONT></TD>')
        a('<TD VALIGN="top"><FONT SIZE="2">' + "<BR><BR>".join(e(zp(p)) for p in paras) + "</FONT></TD>")
        a("</TR>")
        if name == "十日町市":
            a("<!-- ここまで前半 -->")
    a("</TABLE>")
    a(f'<FONT SIZE="2">{LEGEND}</FONT><BR><BR><BR>')
    a("<!-- /R2 -->")
    for tag, heading, caption, groups in (("R1", Y2019_HEADING, Y2019_CAPTION, Y2019_GROUPS),
                                          ("H30", Y2018_HEADING, Y2018_CAPTION, Y2018_GROUPS)):
        a(f"<!-- {tag} -->")
        a(f'<FONT COLOR="#003366"><B>{e(z(heading))}</B></FONT><BR>')
        a(f'<font size="2">{e(z(caption))}</font><BR><BR>')
        for gh, subs in groups:
            a(f'<B><FONT COLOR="#336699">{e(z(gh))}</FONT></B><BR>')
            for sh, bodies, consortia in subs:
                a(f"<B>{e(z(sh))}</B><BR>")
                a(f"<font size=\"2\">&nbsp;{e(zp('、'.join(bodies)))}</font><BR><BR>")
                if consortia:
                    a(f'<font size="2">{z(RENKEI)}<BR>&nbsp;{e(zp("、".join(consortia)))}</font><BR><BR>')
            a("<BR>")
        a('<TABLE WIDTH="100%" BORDER="0" CELLPADDING="8" CELLSPACING="0" BGCOLOR="#F4F4F4" SUMMARY=""><TR><TD>')
        if groups is Y2019_GROUPS:
            for term, text in DEFS2019:
                a(f"<B>{e(z(term))}</B><BR>")
                a(f'<FONT SIZE="2">{e(zp(text))}</FONT><BR><BR>')
        else:
            for term, text, items in DEFS2018:
                a(f"<B>{e(z(term))}</B><BR>")
                a(f'<FONT SIZE="2">{e(zp(text))}')
                for it in items:
                    a(f"<BR>&nbsp;&nbsp;{e(zp(it))}")
                a("</FONT><BR><BR>")
        a("</TD></TR></TABLE><BR>")
        a(f"<!-- /{tag} -->")
    a('<TABLE BORDER="0" CELLPADDING="4" CELLSPACING="0" SUMMARY=""><TR>')
    a(f'<TD VALIGN="top"><A HREF="https://get.adobe.com/jp/reader/" TARGET="_blank"><IMG SRC="../common/img/get_adobe_reader.gif" WIDTH="158" HEIGHT="39" BORDER="0" ALT="{ADOBE_ALT}" /></A></TD>')
    a(f'<TD><FONT SIZE="2">{ADOBE_LINES[0]}<BR>{ADOBE_LINES[1]}</FONT></TD>')
    a("</TR></TABLE>")
    a("</TD></TR>")
    a("</TABLE>")
    a("</TD>")
    a("</TR>")
    a("</TABLE>")
    a("<!-- ===== footer ===== -->")
    a('<TABLE WIDTH="900" BORDER="0" CELLPADDING="6" CELLSPACING="0" ALIGN="center" SUMMARY="">')
    a(f'<TR><TD BGCOLOR="#EEF3F9"><FONT SIZE="2">{PORTAL_LINE1}<BR>{PORTAL_LINE2[0]}<A HREF="../form/index.html">{PORTAL_LINE2[1]}</A>{PORTAL_LINE2[2]}</FONT></TD></TR>')
    a(f'<TR><TD ALIGN="right"><FONT SIZE="2">最終更新日：{zen_digits_paren(date)}</FONT>&nbsp;&nbsp;<A HREF="#top"><FONT SIZE="2">ページの先頭へ</FONT></A></TD></TR>')
    a('<TR><TD ALIGN="center" BGCOLOR="#003366"><FONT SIZE="2" COLOR="#FFFFFF">総務省&nbsp;〒100-8926&nbsp;東京都千代田区霞が関2-1-2&nbsp;'
      "電話：03-5253-5111（代表）<BR>Copyright&nbsp;&copy;&nbsp;Ministry of Internal Affairs and Communications</FONT></TD></TR>")
    a("</TABLE>")
    a("<!-- ===== /footer ===== -->")
    a("</BODY>")
    a("</html>")
    return "\r\n".join(o) + "\r\n"


# ---------------------------------------------------------------------------------------------
# 4. pipeline samples: another table template, cp932 with a Shift_JIS declaration
# ---------------------------------------------------------------------------------------------

def _sample_table(o: list[str], heading: str, caption: str, rows, sec_id: str, comment: str | None = None) -> None:
    a = o.append
    a(f'<div class="section" id="{sec_id}">')
    if comment:
        a(f"<!-- {comment} -->")
    a(f'<h3 class="ttl-lv3">{e(heading)}</h3>')
    a('<table class="tbl01" width="100%">')
    a(f"<caption>{caption}</caption>")
    a(f'<tr><th width="25%">{TABLE_HEAD[0]}</th><th>{TABLE_HEAD[1]}</th></tr>')
    for name, pref, partners, paras in rows:
        cell = f"{e(name)}<br />({e(pref)})"
        if partners:
            cell += f"<br />【{e(partners)}】"
        a("<tr>")
        a(f'<td class="center">{cell}</td>')
        a("<td>")
        for p in paras:
            a(f"<p>{e(p)}</p>")
        a("</td>")
        a("</tr>")
    a("</table>")
    a(f'<p class="txt-s">{LEGEND}</p>')
    a("</div>")


def render_sample(*, date: str, y2020=None, y2021=None) -> str:
    y2020 = Y2020 if y2020 is None else y2020
    o: list[str] = []
    a = o.append
    a('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">')
    a('<html xmlns="http://www.w3.org/1999/xhtml" lang="ja" xml:lang="ja">')
    a("<head>")
    a('<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS" />')
    a(f"<title>{PAGE_TITLE} - 関係人口ポータルサイト - 総務省</title>")
    a('<link href="/kankeijinkou/css/base.css" rel="stylesheet" type="text/css" />')
    a("</head>")
    a("<body>")
    a('<div id="container">')
    a('<div id="skip"><a href="#contents">本文へ</a></div>')
    a('<div id="header">')
    a('<p id="site-id"><a href="/kankeijinkou/index.html"><img src="/kankeijinkou/img/site_id.gif" alt="関係人口ポータルサイト" /></a></p>')
    a('<ul id="util"><li><a href="https://www.soumu.go.jp/">総務省</a></li><li><a href="/kankeijinkou/sitemap.html">サイトマップ</a></li></ul>')
    a('<ul id="global-nav">')
    a('<li><a href="/kankeijinkou/index.html">ホーム</a></li>')
    a('<li><a href="/kankeijinkou/about/index.html">関係人口とは</a></li>')
    a('<li class="on"><a href="/kankeijinkou/discription/index.html">モデル事業概要</a></li>')
    a('<li><a href="/kankeijinkou/model_list.html">モデル団体による事業</a></li>')
    a('<li><a href="/kankeijinkou/event/index.html">イベント・セミナー</a></li>')
    a("</ul>")
    a("</div>")
    a(f'<div id="topicpath"><a href="/kankeijinkou/index.html">ホーム</a> &gt; {PAGE_TITLE}</div>')
    a('<div id="contents">')
    a(f'<h1 class="ttl-lv1">{PAGE_TITLE}</h1>')
    a(f'<h2 class="ttl-lv2">{INTRO_H2}</h2>')
    a(f'<h3 class="ttl-lv3">{INTRO_H3}</h3>')
    for p in INTRO_PARAS:
        a(f"<p>{e(p)}</p>")
    a(f'<h2 class="ttl-lv2">{SAITAKU_H2}</h2>')
    if y2021 is not None:
        rows = y2021
        _sample_table(o, y2021_heading(len(rows)), Y2021_CAPTION, rows, "r03",
                      comment="令和3年度: 架空のデモ用データ (FICTIONAL demo data for the offline pipeline; "
                              "not real adoptions)")
    _sample_table(o, Y2020_HEADING, Y2020_CAPTION, y2020, "r02")
    for sec_id, heading, caption, groups in (("r01", Y2019_HEADING, Y2019_CAPTION, Y2019_GROUPS),
                                             ("h30", Y2018_HEADING, Y2018_CAPTION, Y2018_GROUPS)):
        a(f'<div class="section" id="{sec_id}">')
        a(f'<h3 class="ttl-lv3">{e(heading)}</h3>')
        a(f'<p class="ttl-caption">{caption}</p>')
        for gh, subs in groups:
            a(f'<h4 class="ttl-lv4">{e(gh)}</h4>')
            for sh, bodies, consortia in subs:
                a(f'<h5 class="ttl-lv5">{e(sh)}</h5>')
                a(f"<p>{e('、'.join(bodies))}</p>")
                if consortia:
                    a(f"<p>{RENKEI}</p>")
                    a(f"<p>{e('、'.join(consortia))}</p>")
        a('<div class="box-gray">')
        if groups is Y2019_GROUPS:
            for term, text in DEFS2019:
                a(f'<h5 class="ttl-lv5">{e(term)}</h5>')
                a(f"<p>{e(text)}</p>")
        else:
            for term, text, items in DEFS2018:
                a(f'<h5 class="ttl-lv5">{e(term)}</h5>')
                a(f"<p>{e(text)}</p>")
                if items:
                    a("<ol>" + "".join(f"<li>{e(i)}</li>" for i in items) + "</ol>")
        a("</div>")
        a("</div>")
    a('<div class="adobe">')
    a(f'<a href="https://get.adobe.com/jp/reader/"><img src="/kankeijinkou/img/get_adobe_reader.gif" alt="{ADOBE_ALT}" /></a>')
    a(f"<p>{ADOBE_LINES[0]}<br />{ADOBE_LINES[1]}</p>")
    a("</div>")
    a("</div>")
    a('<div id="entry">')
    a(f'<p>{PORTAL_LINE1}<br />{PORTAL_LINE2[0]}<a href="/kankeijinkou/form/index.html">{PORTAL_LINE2[1]}</a>{PORTAL_LINE2[2]}</p>')
    a("</div>")
    a('<div id="footer">')
    a(f'<p class="update">最終更新日：{date}</p>')
    a('<p class="address">総務省　〒100-8926 東京都千代田区霞が関2-1-2</p>')
    a('<p class="copyright">Copyright &copy; Ministry of Internal Affairs and Communications</p>')
    a("</div>")
    a("</div>")
    a("</body>")
    a("</html>")
    return "\n".join(o) + "\n"


# ---------------------------------------------------------------------------------------------
# 5. the error page
# ---------------------------------------------------------------------------------------------

def render_error_page() -> str:
    return """<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="UTF-8">
<meta name="robots" content="noindex,nofollow">
<title>ページが見つかりません｜総務省</title>
<link rel="stylesheet" href="/main_content/common/css/error.css">
</head>
<body>
<div id="wrapper">
<p class="skip"><a href="#main">本文へ</a></p>
<header id="header">
  <p class="logo"><a href="https://www.soumu.go.jp/"><img src="/main_content/common/img/logo_soumu.png" alt="総務省"></a></p>
  <ul class="header-nav">
    <li><a href="https://www.soumu.go.jp/">ホーム</a></li>
    <li><a href="https://www.soumu.go.jp/menu_sitemap/index.html">サイトマップ</a></li>
    <li><a href="https://www.soumu.go.jp/menu_kyotsuu/english/index.html">English</a></li>
  </ul>
</header>
<main id="main">
  <h1>ページが見つかりません</h1>
  <div class="notice">
    <h2>システムメンテナンス中</h2>
    <p>現在、システムメンテナンスのため、一部のページをご覧いただけない状態となっております。<br>
    ご利用の皆様にはご迷惑をおかけいたしますが、しばらく時間をおいてから再度アクセスしてください。</p>
  </div>
  <p>お探しのページは、移動または削除されたか、URLが変更された可能性があります。<br>
  アドレス（URL）をお確かめのうえ、再度アクセスしてください。</p>
  <ul>
    <li><a href="https://www.soumu.go.jp/">総務省トップページへ</a></li>
    <li><a href="https://www.soumu.go.jp/kankeijinkou/index.html">関係人口ポータルサイトトップへ</a></li>
    <li><a href="https://www.soumu.go.jp/menu_sitemap/index.html">サイトマップから探す</a></li>
  </ul>
</main>
<footer id="footer">
  <address>総務省　〒100-8926 東京都千代田区霞が関2-1-2　電話：03-5253-5111（代表）</address>
  <p class="copyright"><small>Copyright &copy; Ministry of Internal Affairs and Communications. All Rights Reserved.</small></p>
</footer>
</div>
</body>
</html>
"""


# ---------------------------------------------------------------------------------------------

def write_utf8(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def write_cp932(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("cp932")  # strict: fails loudly on a character cp932 cannot carry
    assert data.decode("cp932") == text
    path.write_bytes(data)


def main() -> None:
    base = render_modern(date="2021年3月31日")
    out: list[tuple[Path, str, str]] = [
        (FIXTURES / "model_projects_table.html", base, "utf-8"),
        (FIXTURES / "model_projects_dl.html", render_dl(date="2021年3月31日"), "utf-8"),
        (FIXTURES / "model_projects_oldstyle_sjis.html", render_oldstyle(date="2021年3月31日"), "cp932"),
        (FIXTURES / "model_projects_no_table.html", render_modern(date="2021年3月31日", broken=True), "utf-8"),
        (FIXTURES / "error_page.html", render_error_page(), "utf-8"),
        (FIXTURES / "model_projects_form_only.html", make_form_only(base), "utf-8"),
        (FIXTURES / "model_projects_count_mismatch.html", make_count_mismatch(base), "utf-8"),
    ]
    # samples: v1 = reference; v2 = v1 + fictional 令和3年度; v3 = v2 with two content edits
    y2020_edited = [
        (n, p, c, [replace_once(paras[0], "収穫体験", "収穫体験・加工体験")] + paras[1:]) if n == "石狩市" else (n, p, c, paras)
        for n, p, c, paras in Y2020
    ]
    y2021_v3 = [r for r in Y2021_ROWS if r[0] != "小布施町"]
    out += [
        (SAMPLES / "v1_baseline.html", render_sample(date="2021年3月31日"), "cp932"),
        (SAMPLES / "v2_new_year.html", render_sample(date="2021年6月30日", y2021=Y2021_ROWS), "cp932"),
        (SAMPLES / "v3_edited.html", render_sample(date="2021年7月15日", y2020=y2020_edited, y2021=y2021_v3), "cp932"),
    ]
    for path, text, enc in out:
        (write_cp932 if enc == "cp932" else write_utf8)(path, text)
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size:>7} bytes  {enc}")


if __name__ == "__main__":
    main()
