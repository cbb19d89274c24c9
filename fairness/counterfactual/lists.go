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
			mr sir gentleman gentlemen
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
			mrs madam lady ladies
			female females feminine femininity girlish
			actress actresses heroine heroines bride brides waitress
			businesswoman businesswomen spokeswoman chairwoman policewoman matriarch godmother`)},
	},
}

// The pronouns are found as terms but rewritten by role (see
// Counterfactuals); their alignment above only has to be one-to-one. "her"
// appears twice on the female side; it is read at its first position, and
// the second listing gives "him" a counterpart.

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
