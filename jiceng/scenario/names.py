"""Realistic Chinese personal names for synthetic members.

Surname weights: the national ranking published by the Ministry of Public Security's
household-registration statistics (2007, per cent of population, top 100 rounded), with the
surnames typical of Shanghai and the Jiangnan region (沈, 顾, 陆, 钱, 蒋, 姚, 施, 金, 倪, 瞿)
weighted up, since members here are mostly local. Given names draw from era-typical
characters: births of the 1920s–1960s carry names such as 建国, 卫东, 秀英, later ones more
single characters. Faker's zh_CN provider draws from a short list and repeats far too often
for a roll of two million.
"""

from __future__ import annotations

import random

# (surname, weight per 10,000)
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 600),
    ("李", 520),
    ("张", 640),
    ("刘", 380),
    ("陈", 560),
    ("杨", 260),
    ("黄", 210),
    ("赵", 170),
    ("吴", 230),
    ("周", 260),
    ("徐", 280),
    ("孙", 160),
    ("马", 110),
    ("朱", 230),
    ("胡", 140),
    ("郭", 90),
    ("何", 100),
    ("高", 90),
    ("林", 80),
    ("罗", 60),
    ("郑", 90),
    ("梁", 50),
    ("谢", 70),
    ("宋", 70),
    ("唐", 80),
    ("许", 90),
    ("韩", 50),
    ("冯", 60),
    ("邓", 40),
    ("曹", 80),
    ("彭", 40),
    ("曾", 30),
    ("肖", 40),
    ("田", 30),
    ("董", 50),
    ("袁", 50),
    ("潘", 60),
    ("于", 30),
    ("蒋", 90),
    ("蔡", 70),
    ("余", 40),
    ("杜", 30),
    ("叶", 70),
    ("程", 50),
    ("苏", 40),
    ("魏", 30),
    ("吕", 40),
    ("丁", 60),
    ("任", 30),
    ("沈", 170),
    ("姚", 80),
    ("卢", 30),
    ("姜", 40),
    ("崔", 20),
    ("钟", 30),
    ("谭", 20),
    ("陆", 150),
    ("汪", 60),
    ("范", 50),
    ("金", 90),
    ("石", 30),
    ("廖", 10),
    ("贾", 20),
    ("夏", 50),
    ("韦", 10),
    ("付", 20),
    ("方", 60),
    ("白", 20),
    ("邹", 30),
    ("孟", 20),
    ("熊", 20),
    ("秦", 30),
    ("邱", 20),
    ("江", 40),
    ("尹", 20),
    ("薛", 40),
    ("闫", 10),
    ("段", 10),
    ("雷", 20),
    ("侯", 20),
    ("龙", 10),
    ("史", 30),
    ("陶", 40),
    ("黎", 10),
    ("贺", 20),
    ("顾", 150),
    ("毛", 40),
    ("郝", 10),
    ("龚", 40),
    ("邵", 50),
    ("万", 20),
    ("钱", 90),
    ("严", 50),
    ("覃", 5),
    ("武", 20),
    ("戴", 50),
    ("莫", 20),
    ("孔", 20),
    ("向", 10),
    ("汤", 40),
    ("施", 70),
    ("倪", 50),
    ("瞿", 20),
    ("单", 10),
    ("乐", 10),
    ("翁", 30),
    ("俞", 50),
    ("殷", 20),
    ("杭", 10),
    ("奚", 10),
    ("诸", 10),
)

_MALE_OLD = "建国 建华 卫东 国强 志刚 德明 永康 洪生 金宝 根宝 福生 文华 耀祖 家骏 国平 振华 勇 明 刚 强 军 斌 伟 林 峰 杰 涛 海 平 华 荣 根 发".split()  # noqa: E501
_MALE_NEW = "伟 磊 杰 俊 浩 鹏 宇 昊 斌 涛 晨 晓东 志伟 海峰 俊杰 文杰 一鸣 天翔 嘉诚 立新 晓峰 毅 骏 超 亮 凯 健 波 辉 捷".split()  # noqa: E501
_FEMALE_OLD = "秀英 桂英 玉兰 凤英 素珍 美华 丽华 月娥 佩芳 惠珍 淑芬 雅琴 金娣 彩凤 爱华 红 英 芳 萍 敏 珍 兰 琴 娟 丽 梅 霞 燕".split()  # noqa: E501
_FEMALE_NEW = "静 敏 燕 艳 丽 娟 霞 婷 颖 雯 琳 洁 蕾 晶 佳 怡 慧 倩 晓燕 雪梅 海燕 丽娜 佳怡 诗琪 欣怡 文静 雅婷 晓琳 悦 琪".split()  # noqa: E501
_SECOND = "文 志 国 建 海 明 晓 永 春 秋 玉 家 振 德 宏 俊 嘉 雅 思 佳 丽 美 雪 新 红 云 立 学 亚 卫".split()  # noqa: E501


class NameMaker:
    """Draws names with ``rng``; deterministic for a given seed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        surnames = [(s, w) for s, w in SURNAMES if w > 0]
        self._surnames = [s for s, _ in surnames]
        self._weights = [w for _, w in surnames]

    def surname(self) -> str:
        return self.rng.choices(self._surnames, self._weights)[0]

    def given(self, sex: str, birth_year: int) -> str:
        old = birth_year < 1965
        if sex == "M":
            pool = _MALE_OLD if old else _MALE_NEW
        else:
            pool = _FEMALE_OLD if old else _FEMALE_NEW
        name = self.rng.choice(pool)
        if len(name) == 1 and self.rng.random() < 0.55:
            name = self.rng.choice(_SECOND) + name
        return name

    def full(self, sex: str, birth_year: int) -> str:
        return self.surname() + self.given(sex, birth_year)
