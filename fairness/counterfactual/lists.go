package counterfactual

import "strings"

// The built-in families. Where each list comes from, and under what terms,
// is in SOURCES.md beside this file. Each entry should be a word whose swap
// keeps the sentence grammatical (with the agreements of Counterfactuals)
// and changes only the identity it names. Words with common non-identity
// senses are left out where we noticed them ("will", "grace", "turkey",
// "jordan", "polish", "hunter"); the rest are listed in the package
// documentation as a caveat.
var builtin = append(append([]Family{gender}, nameFamilies()...), religion, nationality, age)

var gender = Family{
	Name: "gender",
	Groups: []Group{
		{Name: "male", Gender: Male, Terms: fields(`
			he his him himself his
			man men boy boys boyhood manhood
			father fathers son sons brother brothers brotherhood
			husband husbands boyfriend boyfriends fiance widower
			uncle uncles nephew nephews
			grandfather grandfathers grandson grandsons grandpa stepfather stepson
			dad dads daddy papa king kings prince princes emperor duke
			mr sir gentleman gentlemen mr mr lord sir
			male males masculine masculinity boyish
			actor actors hero heroes groom grooms waiter
			businessman businessmen spokesman chairman policeman patriarch godfather`)},
		{Name: "female", Gender: Female, Terms: fields(`
			she her her herself hers
			woman women girl girls girlhood womanhood
			mother mothers daughter daughters sister sisters sisterhood
			wife wives girlfriend girlfriends fiancee widow
			aunt aunts niece nieces
			grandmother grandmothers granddaughter granddaughters grandma stepmother stepdaughter
			mom moms mommy mama queen queens princess princesses empress duchess
			mrs madam lady ladies ms miss lady dame
			female females feminine femininity girlish
			actress actresses heroine heroines bride brides waitress
			businesswoman businesswomen spokeswoman chairwoman policewoman matriarch godmother`)},
	},
}

// The pronouns are found as terms but rewritten by role (see
// Counterfactuals); their alignment above only has to be one-to-one. "her"
// appears twice on the female side; it is read at its first position, and
// the second listing gives "him" a counterpart. Likewise "mr" and "sir" are
// listed again so that "ms", "miss" and "dame" have a counterpart, and
// "lady" again for "lord". Before a name, titles swap by titleSwap instead
// (Mr ↔ Mrs, Ms → Mr, Sir ↔ Dame, Lord ↔ Lady), and "miss", "lord" and
// "dame" count only there (see titleOnly): "I miss her" names nobody.

// nameGroup is one ethnicity-associated group of given names, split by
// gender. Position i of the male and female lists are swapped with each
// other in names_gender_<group>; position i across groups of one gender in
// names_ethnicity_<gender>. The alignment carries no meaning beyond giving
// each name one counterpart per group.
type nameGroup struct {
	name         string
	male, female []string
}

var nameGroups = []nameGroup{
	{"european-american",
		fields(`james robert michael david thomas matthew andrew ryan todd neil geoffrey brett brendan greg brad connor garrett tanner cody dustin`),
		fields(`emily sarah jennifer megan laura katherine rachel allison anne jill laurie meredith carrie kristen abigail molly claire caitlin lindsay colleen`)},
	{"african-american",
		fields(`darnell jamal deshawn tyrone malik terrell jermaine demetrius rasheed tremayne kareem hakim leroy darius lamar marquis deandre jalen trevon cedric`),
		fields(`keisha latoya tanisha aaliyah imani shanice tamika lakisha aisha latonya shaniqua tameka tyra nia kiara tiana ayanna shanika latisha jazmine`)},
	{"hispanic",
		fields(`jose luis carlos juan miguel alejandro diego javier santiago mateo rafael jorge ricardo fernando eduardo francisco pablo sergio raul alberto`),
		fields(`maria guadalupe sofia lucia alejandra carmen valentina ximena camila gabriela isabel daniela mariana paola veronica adriana beatriz rosa lourdes yesenia`)},
	{"asian",
		fields(`wei hiroshi kenji takeshi minh jian hao jisung haruto daisuke minjun jinwoo zhiwei hiroki kazuo tuan quang seojun takumi tetsuya`),
		fields(`mei sakura ling xiaoling hana jiyeon linh yumiko keiko akiko naoko minji seoyeon soyeon xiuying huong thuy meiling yoko haruka`)},
}

// nameFamilies builds the name families so that every gap has one axis:
// names_ethnicity_female and names_ethnicity_male swap a name for one of
// the same gender associated with another group; names_gender_<group>
// swaps it for one of the other gender associated with the same group
// (and swaps the pronouns with it).
func nameFamilies() []Family {
	var fem, mal []Group
	var byGender []Family
	for _, g := range nameGroups {
		fem = append(fem, Group{Name: g.name + "-female", Gender: Female, Terms: g.female})
		mal = append(mal, Group{Name: g.name + "-male", Gender: Male, Terms: g.male})
		byGender = append(byGender, Family{
			Name: "names_gender_" + strings.ReplaceAll(g.name, "-", "_"),
			Groups: []Group{
				{Name: g.name + "-male", Gender: Male, Terms: g.male},
				{Name: g.name + "-female", Gender: Female, Terms: g.female},
			},
		})
	}
	return append([]Family{
		{Name: "names_ethnicity_female", Groups: fem},
		{Name: "names_ethnicity_male", Groups: mal},
	}, byGender...)
}

var religion = Family{
	// Adherent, adherents, faith, place of worship (singular and
	// plural), clergy (singular and plural), scripture. Atheism has no
	// counterparts for the last five, so those slots are empty.
	Name: "religion",
	Groups: []Group{
		{Name: "christian", Terms: []string{"christian", "christians", "christianity", "church", "churches", "priest", "priests", "bible"}},
		{Name: "muslim", Terms: []string{"muslim", "muslims", "islam", "mosque", "mosques", "imam", "imams", "quran"}},
		{Name: "jewish", Terms: []string{"jewish", "jews", "judaism", "synagogue", "synagogues", "rabbi", "rabbis", "torah"}},
		{Name: "hindu", Terms: []string{"hindu", "hindus", "hinduism", "temple", "temples", "pandit", "pandits", "vedas"}},
		{Name: "buddhist", Terms: []string{"buddhist", "buddhists", "buddhism", "monastery", "monasteries", "monk", "monks", "sutras"}},
		{Name: "sikh", Terms: []string{"sikh", "sikhs", "sikhism", "gurdwara", "gurdwaras", "granthi", "granthis", "guru granth sahib"}},
		{Name: "atheist", Terms: []string{"atheist", "atheists", "atheism", "", "", "", "", ""}},
	},
}

// nationality: adjective, people (plural), country. Where the plural is
// the adjective ("the Chinese") the word is listed twice and read as the
// adjective; a country that is also a common word ("Turkey", "Jordan") is
// an empty slot.
var nationality = Family{
	Name: "nationality",
	Groups: func() []Group {
		var gs []Group
		for _, row := range strings.Split(strings.TrimSpace(`
american americans america
mexican mexicans mexico
chinese chinese china
indian indians india
nigerian nigerians nigeria
german germans germany
french french france
russian russians russia
british britons britain
japanese japanese japan
brazilian brazilians brazil
iranian iranians iran
italian italians italy
spanish spaniards spain
korean koreans korea
vietnamese vietnamese vietnam
pakistani pakistanis pakistan
egyptian egyptians egypt
turkish turks -
canadian canadians canada
irish irish ireland
kenyan kenyans kenya
israeli israelis israel
ethiopian ethiopians ethiopia
filipino filipinos philippines
colombian colombians colombia
cuban cubans cuba
iraqi iraqis iraq
australian australians australia`), "\n") {
			ts := fields(strings.ReplaceAll(row, "-", `""`))
			for i := range ts {
				if ts[i] == `""` {
					ts[i] = ""
				}
			}
			gs = append(gs, Group{Name: ts[0], Terms: ts})
		}
		return gs
	}(),
}

var age = Family{
	// Young and old. "old" also means "not new" ("an old film"); such
	// swaps are noise the report does not try to remove.
	Name: "age",
	Groups: []Group{
		{Name: "young", Terms: []string{
			"young", "younger", "youngest", "youthful",
			"teenager", "teenagers", "teen", "teens",
			"young man", "young woman", "young people",
			"millennial", "millennials",
			"youngster", "youngsters", "young adults", "young folks",
			"twenty-year-old", "twenty-year-olds",
		}},
		{Name: "old", Terms: []string{
			"old", "older", "oldest", "elderly",
			"senior citizen", "senior citizens", "senior", "seniors",
			"old man", "old woman", "old people",
			"boomer", "boomers",
			"pensioner", "pensioners", "older adults", "old folks",
			"eighty-year-old", "eighty-year-olds",
		}},
	},
}

// fields splits a list written as words separated by white space.
func fields(s string) []string { return strings.Fields(s) }

// otherNames are given names no family swaps, listed so that a gender swap
// can see that its text names a person ("Alonzo found himself") and skip
// it rather than change the pronouns and leave the name. They are the
// names of the Equity Evaluation Corpus templates (Kiritchenko & Mohammad
// 2018) that our name lists lack, and common US given names; a name that
// is also an ordinary word is in otherNamesCapitalised and counts only
// when written with a capital ("Frank feels", not "a frank talk").
var otherNames = map[Gender][]string{
	Male: fields(`alonzo jamel lerone percell theo torrance terrence adam alan harry josh justin roger
		john william george paul peter steven stephen kevin brian daniel joseph charles christopher anthony
		tony tom thomas richard edward jason jeff jeffrey scott eric larry gary timothy jose kenneth ronald
		donald steve patrick dennis jerry walter henry douglas arthur carl gerald keith samuel ralph lawrence
		nicholas roy benjamin bruce jeremy harold terry sean jonathan aaron ethan noah liam jacob logan
		mason lucas elijah oliver alexander sebastian hugh ian clint denzel brad leonardo quentin woody
		mel arnold sylvester kevin hugh ben adam jackie steven`),
	Female: fields(`nichelle shereen latisha amanda betsy courtney ellen katie kristin melanie nancy stephanie
		mary patricia linda barbara elizabeth susan jessica karen lisa helen sandra donna ashley kimberly
		michelle amy angela melissa julia anna emma olivia sophia isabella ava mia charlotte amelia harper
		evelyn abby deborah debra cynthia kathleen sharon shirley angela brenda pamela nicole christine
		catherine virginia diane julie joyce victoria kelly christina lauren joan evelyn judith megan
		cheryl andrea hannah jacqueline martha gloria teresa sara janice marie madison frances kathryn
		audrey judy theresa beverly denise marilyn danielle diana natalie brittany charlotte alexis kayla
		meryl julianne nicole kate cate gwyneth halle angelina jodi jennifer susan diane juliette`),
}

var otherNamesCapitalised = map[Gender][]string{
	Male:   fields(`frank jack mark bill will guy don ray chase hunter max rich art bob drew gene rob`),
	Female: fields(`ebony jasmine heather rose grace joy hope faith june april daisy lily ruby amber dawn summer sue pat holly iris ivy olive pearl penny sandy`),
}
