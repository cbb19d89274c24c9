package counterfactual

// The built-in families. They are written for this package (not taken from
// any library) and kept short: each entry should be a word whose swap keeps
// the sentence grammatical and changes only the identity it names. Words
// with common non-identity senses are left out where we noticed them
// ("will", "grace", "turkey", "jordan"); the rest are listed in the package
// documentation as a caveat.
var builtin = []Family{
	{
		Name: "gender",
		Groups: []Group{
			{Name: "male", Terms: []string{
				"he", "his", "him", "himself", "his",
				"man", "men", "boy", "boys",
				"father", "fathers", "son", "sons", "brother", "brothers",
				"husband", "husbands", "boyfriend", "boyfriends",
				"uncle", "uncles", "nephew", "nephews",
				"grandfather", "grandson", "stepfather",
				"dad", "dads", "king", "kings", "prince", "princes",
				"mr", "sir", "gentleman", "gentlemen",
				"male", "males", "masculine",
				"actor", "actors", "groom", "grooms",
			}},
			{Name: "female", Terms: []string{
				// "her" is both "his" and "him"; it is read at its first
				// position, as the possessive ("her" → "his").
				"she", "her", "her", "herself", "hers",
				"woman", "women", "girl", "girls",
				"mother", "mothers", "daughter", "daughters", "sister", "sisters",
				"wife", "wives", "girlfriend", "girlfriends",
				"aunt", "aunts", "niece", "nieces",
				"grandmother", "granddaughter", "stepmother",
				"mom", "moms", "queen", "queens", "princess", "princesses",
				"mrs", "madam", "lady", "ladies",
				"female", "females", "feminine",
				"actress", "actresses", "bride", "brides",
			}},
		},
	},
	{
		// Given names as a proxy for perceived gender and ethnicity, in
		// the spirit of résumé audit studies: eight names per group, chosen
		// to be common in (mostly US) usage for the group and not ordinary
		// English words. A name is a weak, often wrong signal of who a
		// person is; the audit only asks whether the model treats the
		// names differently. Position i of every group is just another
		// name; the alignment carries no meaning beyond giving each name
		// one counterpart per group.
		Name: "names",
		Groups: []Group{
			{Name: "european-american-male", Terms: []string{"james", "robert", "michael", "david", "thomas", "matthew", "andrew", "ryan"}},
			{Name: "european-american-female", Terms: []string{"emily", "sarah", "jennifer", "megan", "laura", "katherine", "rachel", "allison"}},
			{Name: "african-american-male", Terms: []string{"darnell", "jamal", "deshawn", "tyrone", "malik", "terrell", "jermaine", "demetrius"}},
			{Name: "african-american-female", Terms: []string{"keisha", "latoya", "tanisha", "aaliyah", "imani", "shanice", "tamika", "lakisha"}},
			{Name: "hispanic-male", Terms: []string{"jose", "luis", "carlos", "juan", "miguel", "alejandro", "diego", "javier"}},
			{Name: "hispanic-female", Terms: []string{"maria", "guadalupe", "sofia", "lucia", "alejandra", "carmen", "valentina", "ximena"}},
			{Name: "asian-male", Terms: []string{"wei", "hiroshi", "kenji", "takeshi", "minh", "jian", "hao", "jisung"}},
			{Name: "asian-female", Terms: []string{"mei", "yuki", "sakura", "ling", "xiaoling", "hana", "jiyeon", "linh"}},
		},
	},
	{
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
	},
	{
		// Adjective, people (plural), country. Where the plural is the
		// adjective ("the Chinese") the word is listed twice and read as
		// the adjective.
		Name: "nationality",
		Groups: []Group{
			{Name: "american", Terms: []string{"american", "americans", "america"}},
			{Name: "mexican", Terms: []string{"mexican", "mexicans", "mexico"}},
			{Name: "chinese", Terms: []string{"chinese", "chinese", "china"}},
			{Name: "indian", Terms: []string{"indian", "indians", "india"}},
			{Name: "nigerian", Terms: []string{"nigerian", "nigerians", "nigeria"}},
			{Name: "german", Terms: []string{"german", "germans", "germany"}},
			{Name: "french", Terms: []string{"french", "french", "france"}},
			{Name: "russian", Terms: []string{"russian", "russians", "russia"}},
			{Name: "british", Terms: []string{"british", "britons", "britain"}},
			{Name: "japanese", Terms: []string{"japanese", "japanese", "japan"}},
			{Name: "brazilian", Terms: []string{"brazilian", "brazilians", "brazil"}},
			{Name: "iranian", Terms: []string{"iranian", "iranians", "iran"}},
		},
	},
	{
		// Young and old. "old" also means "not new" ("an old film"); such
		// swaps are noise the report does not try to remove.
		Name: "age",
		Groups: []Group{
			{Name: "young", Terms: []string{
				"young", "younger", "youngest", "youthful",
				"teenager", "teenagers", "teen", "teens",
				"young man", "young woman", "young people",
				"millennial", "millennials",
			}},
			{Name: "old", Terms: []string{
				"old", "older", "oldest", "elderly",
				"senior citizen", "senior citizens", "senior", "seniors",
				"old man", "old woman", "old people",
				"boomer", "boomers",
			}},
		},
	},
}
