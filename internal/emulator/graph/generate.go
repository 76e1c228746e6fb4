package graph

import (
	"encoding/base64"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"
)

var baseGroupNames = []string{
	"Sales", "Support", "Engineering", "Marketing", "Finance", "Human Resources",
	"Legal", "Operations", "IT", "Research", "Procurement", "Facilities",
}

var givenNames = []string{
	"Ana", "Ben", "Chloe", "Daniel", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
	"Kira", "Liam", "Maya", "Noah", "Olivia", "Pablo", "Quinn", "Rosa", "Samir", "Tara",
	"Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe", "Aiko", "Bruno", "Carmen", "Dmitri",
	"Emma", "Felix", "Greta", "Hana", "Ivan", "Julia", "Kofi", "Lena", "Marco", "Nadia",
	"Omar", "Priya", "Rafael", "Sofia", "Tomas", "Uma", "Viktor", "Wanda", "Yara", "Zain",
}

var surnames = []string{
	"Ruiz", "Okafor", "Schmidt", "Nguyen", "Kowalski", "Haddad", "Larsen", "Moreau", "Silva", "Tanaka",
	"Bauer", "Costa", "Dubois", "Eriksson", "Fischer", "Garcia", "Hansen", "Ibrahim", "Jensen", "Kim",
	"Lopez", "Meyer", "Novak", "Olsen", "Petrov", "Quispe", "Rossi", "Sato", "Torres", "Ueda",
	"Varga", "Weber", "Xu", "Yilmaz", "Zhang", "Abara", "Brennan", "Castillo", "Demir", "Evans",
	"Fontaine", "Gupta", "Horvat", "Iyer", "Jovanovic", "Khan", "Lindqvist", "Mendes", "Nakamura", "Oliveira",
}

var jobTitles = []string{
	"Account Executive", "Support Engineer", "Software Engineer", "Marketing Manager", "Accountant",
	"HR Partner", "Counsel", "Operations Analyst", "Systems Administrator", "Research Scientist",
	"Buyer", "Facilities Coordinator", "Team Lead", "Director", "Intern",
}

var guestDomains = []string{"fabrikam.com", "northwind.com", "adatum.com", "litware.com"}

// generatedEpoch is the creation time of the first generated object; later
// objects are spread after it, so generated tenants are deterministic.
var generatedEpoch = time.Date(2021, 3, 1, 8, 0, 0, 0, time.UTC).Unix()

// Generate replaces the tenant with a deterministic one of the given size:
// users spread over the groups (every user in one group, about one in ten
// in a second), about 3% disabled, about 2% guests, a management tree with
// a fan-out of eight, about 80% of members synced from on-premises (an
// immutable ID). Groups are named "Sales", "Support", ... and then
// "Group 0013" and so on; every fifth group is a Microsoft 365 group with
// mail. Options.Contacts organisational contacts (by default 3% of the
// users) follow, people at partner companies with business phones, some
// with a mobile, an address and an on-premises origin. Tokens issued
// before Generate get 410 afterwards.
func (e *Emulator) Generate(users, groups int, seed int64) {
	rng := mrand.New(mrand.NewPCG(uint64(seed), uint64(seed)^0x5eed5eed5eed5eed))
	contacts := e.opts.Contacts
	if contacts == 0 {
		contacts = users * DefaultContactPercent / 100
	}
	contacts = max(contacts, 0)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.epoch = randomUint64()
	e.seq = 0
	e.changes = make([]uint32, 0, users+groups+users*11/10+contacts)
	e.users = make([]userRec, 0, users)
	e.userIdx = make(map[string]int32, users)
	e.groups = make([]groupRec, 0, groups)
	e.groupIdx = make(map[string]int32, groups)
	e.contacts = make([]contactRec, 0, contacts)
	e.contactIdx = make(map[string]int32, contacts)
	e.empty = false
	e.rng = mrand.New(mrand.NewPCG(uint64(seed)+1, 0x1d))

	for g := range groups {
		gr := Group{ID: randomUUID(rng), DisplayName: groupName(g), SecurityEnabled: g%5 != 4}
		if !gr.SecurityEnabled {
			gr.Mail = strings.ToLower(strings.ReplaceAll(gr.DisplayName, " ", "")) + "@" + e.opts.Domain
		}
		e.appendGroup(&gr, generatedEpoch+int64(g)*3600)
	}
	offGiven, offSurname := rng.IntN(len(givenNames)), rng.IntN(len(surnames))
	for i := range users {
		u := e.generatedUser(rng, i, offGiven, offSurname, groups)
		ui := e.appendUser(&u, generatedEpoch+int64(i)*97)
		if groups == 0 {
			continue
		}
		primary := i % groups
		e.addMemberLocked(int32(primary), ui, false)
		if rng.IntN(10) == 0 {
			if second := (i*7 + 3) % groups; second != primary {
				e.addMemberLocked(int32(second), ui, false)
			}
		}
	}
	// Contacts draw from a generator of their own, so the users and groups
	// of a seed are the same whatever the number of contacts.
	crng := mrand.New(mrand.NewPCG(uint64(seed)^0xc0a7ac75, 0x0c))
	for i := range contacts {
		c := generatedContact(crng, i)
		e.appendContact(&c)
	}
}

// Partner companies of generated contacts, with their mail domains.
var contactCompanies = []struct{ name, domain string }{
	{"Fabrikam", "fabrikam.com"}, {"Northwind Traders", "northwindtraders.com"},
	{"Adatum", "adatum.com"}, {"Litware", "litwareinc.com"}, {"Tailspin Toys", "tailspintoys.com"},
	{"Woodgrove Bank", "woodgrovebank.com"}, {"Proseware", "proseware.com"},
	{"Wide World Importers", "wideworldimporters.com"},
}

var contactDepartments = []string{"Sales", "Purchasing", "Support", "Legal", "Finance", "Logistics"}

var contactCities = []struct{ city, state, postal, country string }{
	{"Redmond", "WA", "98052", "United States"}, {"London", "", "EC1A 1BB", "United Kingdom"},
	{"Munich", "BY", "80331", "Germany"}, {"Lyon", "", "69002", "France"},
	{"Toronto", "ON", "M5H 2N2", "Canada"}, {"Sydney", "NSW", "2000", "Australia"},
}

// generatedContact is the i-th generated contact: unique mail, a business
// phone, a mobile for about half, a fax for one in ten, an address for two
// in three, synced from on-premises for about half.
func generatedContact(rng *mrand.Rand, i int) Contact {
	given := givenNames[(i*7+3)%len(givenNames)]
	surname := surnames[(i*13+i/len(givenNames))%len(surnames)]
	co := contactCompanies[i%len(contactCompanies)]
	local := strings.ToLower(given) + "." + strings.ToLower(surname) + ".c" + strconv.Itoa(i+1)
	c := Contact{
		ID: randomUUID(rng), GivenName: given, Surname: surname, DisplayName: given + " " + surname + " (" + co.name + ")",
		Mail: local + "@" + co.domain, CompanyName: co.name,
		JobTitle:              jobTitles[rng.IntN(len(jobTitles))],
		Department:            contactDepartments[rng.IntN(len(contactDepartments))],
		Phones:                []Phone{{Type: "business", Number: fmt.Sprintf("+1 425 555 %04d", rng.IntN(10000))}},
		OnPremisesSyncEnabled: rng.IntN(2) == 0,
	}
	if rng.IntN(2) == 0 {
		c.Phones = append(c.Phones, Phone{Type: "mobile", Number: fmt.Sprintf("+1 206 555 %04d", rng.IntN(10000))})
	}
	if rng.IntN(10) == 0 {
		c.Phones = append(c.Phones, Phone{Type: "businessFax", Number: fmt.Sprintf("+1 425 555 %04d", rng.IntN(10000))})
	}
	if rng.IntN(3) != 0 {
		city := contactCities[rng.IntN(len(contactCities))]
		c.Addresses = []Address{{
			Street: strconv.Itoa(1+rng.IntN(400)) + " Main Street", City: city.city, State: city.state,
			PostalCode: city.postal, CountryOrRegion: city.country, OfficeLocation: "Building " + strconv.Itoa(1+rng.IntN(9)),
		}}
	}
	return c
}

func groupName(g int) string {
	if g < len(baseGroupNames) {
		return baseGroupNames[g]
	}
	return fmt.Sprintf("Group %04d", g+1)
}

// nameFor maps an index to a unique given name, surname and mail local part.
func nameFor(i, offGiven, offSurname int) (given, surname, local string) {
	g, s := len(givenNames), len(surnames)
	// (i mod g, i/g + 17*(i mod g) mod s) is a bijection on [0, g*s), so
	// names repeat only after g*s users, and neighbours differ in both.
	given = givenNames[(i+offGiven)%g]
	surname = surnames[(i/g+17*(i%g)+offSurname)%s]
	local = strings.ToLower(given) + "." + strings.ToLower(surname)
	if n := i / (g * s); n > 0 {
		local += strconv.Itoa(n)
	}
	return given, surname, local
}

func (e *Emulator) generatedUser(rng *mrand.Rand, i, offGiven, offSurname, groups int) User {
	given, surname, local := nameFor(i, offGiven, offSurname)
	u := User{
		ID: randomUUID(rng), GivenName: given, Surname: surname, DisplayName: given + " " + surname,
		AccountEnabled: rng.IntN(100) >= 3, UserType: "Member",
	}
	if i%50 == 49 {
		dom := guestDomains[i%len(guestDomains)]
		u.UserType = "Guest"
		u.Mail = local + "@" + dom
		u.UserPrincipalName = local + "_" + dom + "#EXT#@" + e.initialDomain()
		return u
	}
	u.UserPrincipalName = local + "@" + e.opts.Domain
	u.Mail = u.UserPrincipalName
	u.EmployeeID = fmt.Sprintf("E%07d", i+1)
	u.JobTitle = jobTitles[rng.IntN(len(jobTitles))]
	if groups > 0 {
		u.Department = baseGroupNames[(i%groups)%len(baseGroupNames)]
	}
	if i%5 != 0 {
		var b [16]byte
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		u.OnPremisesImmutableID = base64.StdEncoding.EncodeToString(b[:])
	}
	if i > 0 {
		m := (i - 1) / 8
		for m > 0 && e.users[m].userType == "Guest" {
			m = (m - 1) / 8
		}
		u.ManagerID = e.users[m].id
	}
	return u
}

func randomUUID(rng *mrand.Rand) string {
	var b [16]byte
	a, c := rng.Uint64(), rng.Uint64()
	for i := range 8 {
		b[i], b[8+i] = byte(a>>(8*i)), byte(c>>(8*i))
	}
	return formatUUID(b)
}

// addMemberLocked adds user (or group, when isGroup) index m to group gi
// under e.mu.
func (e *Emulator) addMemberLocked(gi, m int32, isGroup bool) {
	var refs *[]memberRef
	var id string
	if isGroup {
		refs, id = &e.groups[m].memberOf, e.groups[m].id
	} else {
		refs, id = &e.users[m].groups, e.users[m].id
	}
	for _, ref := range *refs {
		if ref.group == gi {
			e.setPresent(ref, true, false)
			return
		}
	}
	g := &e.groups[gi]
	ref := memberRef{group: gi, pos: int32(len(g.members))}
	g.members = append(g.members, membership{id: id, group: isGroup})
	*refs = append(*refs, ref)
	e.setPresent(ref, true, false)
}
