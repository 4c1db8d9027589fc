"""lgcode.names_in_text: the local governments a free text (a PDF's text) names."""

from __future__ import annotations

from scraper import lgcode
from scraper.lgcode import Place, names_in_text


def names(text: str) -> list[str]:
    return [place.full_name for place in names_in_text(text)]


def test_prefecture_qualified_names_with_their_codes() -> None:
    assert names_in_text("新潟県村上市、京都府福知山市") == [
        Place("新潟県", "村上市", "152129"), Place("京都府", "福知山市", lgcode.lookup("京都府", "福知山市"))]
    assert lgcode.lookup("京都府", "福知山市") is not None


def test_leftmost_then_longest_match() -> None:
    assert names("東京都府中市と広島県府中市") == ["東京都府中市", "広島県府中市"]
    assert names("大阪府東大阪市") == ["大阪府東大阪市"]


def test_prefecture_alone_but_not_inside_a_longer_word() -> None:
    assert names("北海道と連携し、長野県、島根県。") == ["北海道", "長野県", "島根県"]
    assert names("北海道大学、島根県立大学、東京都内、京都府庁") == []
    assert names("北海道\n大学") == ["北海道"]  # a line ends after the name


def test_consortium_members_lie_in_the_leads_prefecture() -> None:
    assert names("北海道(釧路市、北見市)") == ["北海道", "北海道釧路市", "北海道北見市"]
    assert names("北海道（苫小牧市・長沼町）") == ["北海道", "北海道苫小牧市", "北海道長沼町"]
    assert names("島根県益田市(津和野町・吉賀町)") == ["島根県益田市", "島根県津和野町", "島根県吉賀町"]
    assert names("秋田県湯沢市(神奈川県横浜市)") == ["秋田県湯沢市", "神奈川県横浜市"]
    assert names("鳥取県(八頭町、南部町)") == ["鳥取県", "鳥取県八頭町", "鳥取県南部町"]  # 南部町 also in 青森県


def test_bare_municipality_next_to_its_prefecture_and_its_partners() -> None:
    assert names("石狩市（北海道）") == ["北海道石狩市"]
    assert names("土佐町(高知県)【須崎市、四万十町】") == ["高知県土佐町", "高知県須崎市", "高知県四万十町"]
    assert names("田子町(青森県)【岩手県二戸市、秋田県鹿角市】") == ["青森県田子町", "岩手県二戸市", "秋田県鹿角市"]
    assert names("日野町(鳥取県)、日野町(滋賀県)") == ["鳥取県日野町", "滋賀県日野町"]


def test_bare_names_without_a_prefecture_are_not_guessed() -> None:
    assert names("横浜市や須崎市の住民") == []


def test_names_split_across_lines_and_spaces() -> None:
    text = "北海道(釧路市、北見市、富良野市、長\n沼町)\n岐阜県郡上\n\n市、鹿児島県い\u3000ちき串木野市"
    assert names(text) == ["北海道", "北海道釧路市", "北海道北見市", "北海道富良野市", "北海道長沼町",
                           "岐阜県郡上市", "鹿児島県いちき串木野市"]


def test_aliases_resolve_to_the_lists_name_and_each_place_comes_once() -> None:
    assert names_in_text("五ケ瀬町(宮崎県)、宮崎県五ヶ瀬町") == [Place("宮崎県", "五ヶ瀬町", lgcode.lookup("宮崎県", "五ヶ瀬町"))]
    assert names("新潟県村上市、新潟県燕市、新潟県村上市") == ["新潟県村上市", "新潟県燕市"]
