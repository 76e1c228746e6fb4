package google

import (
	"fmt"
	"strings"
)

var givenNames = []string{
	"Ana", "Ben", "Chloe", "Daniel", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
	"Kira", "Liam", "Maya", "Noah", "Olivia", "Pablo", "Quinn", "Rosa", "Samir", "Tara",
	"Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe", "Aiko", "Bruno", "Carmen", "Dmitri",
}

var familyNames = []string{
	"Ruiz", "Okafor", "Schmidt", "Nguyen", "Kowalski", "Haddad", "Larsen", "Moreau", "Silva", "Tanaka",
	"Bauer", "Costa", "Dubois", "Eriksson", "Fischer", "Garcia", "Hansen", "Ibrahim", "Jensen", "Kim",
	"Lopez", "Meyer", "Novak", "Olsen", "Petrov", "Quispe", "Rossi", "Sato", "Torres", "Ueda",
}

// departments pair a department with its organisational unit.
var departments = []struct{ name, ou string }{
	{"Sales", "/Sales"}, {"Sales", "/Sales/EMEA"}, {"Engineering", "/Engineering"},
	{"Support", "/Support"}, {"Finance", "/Finance"}, {"Marketing", "/Marketing"},
	{"Operations", "/"},
}

var titles = []string{"Account Executive", "Software Engineer", "Support Engineer", "Accountant", "Team Lead", "Analyst"}

var groupNames = []string{"Sales", "Engineering", "Support", "Finance", "Marketing", "IT", "Legal", "Operations"}

// Generate adds a deterministic directory of users and groups to the
// customer (on top of the administrator New created):
//
//   - user i is given.family.i@domain, in the organisational unit of its
//     department ("/Sales", "/Sales/EMEA", "/Engineering", ..., "/"), with a
//     title and the employee ID "E" + i;
//   - user i > 0 is managed by user (i-1)/8 (a tree with a fan-out of 8);
//   - every 33rd user is suspended, every 97th archived;
//   - group k ("Sales", "Engineering", ..., then "Group 0008", ...) holds
//     the users with i % groups == k, and every tenth user also belongs to
//     the next group; the second group holds the third as a GROUP member.
//
// It returns the users and groups it created, in order.
func (e *Emulator) Generate(users, groups int) ([]User, []Group, error) {
	var gs []Group
	for k := range groups {
		name := fmt.Sprintf("Group %04d", k)
		if k < len(groupNames) {
			name = groupNames[k]
		}
		email := strings.ToLower(strings.ReplaceAll(name, " ", "-")) + "@" + e.opts.Domain
		g, err := e.AddGroup(Group{Email: email, Name: name, Description: name + " team"})
		if err != nil {
			return nil, nil, err
		}
		gs = append(gs, g)
	}
	var us []User
	for i := range users {
		given, family := givenNames[i%len(givenNames)], familyNames[(i/len(givenNames))%len(familyNames)]
		dep := departments[i%len(departments)]
		u := User{
			PrimaryEmail: fmt.Sprintf("%s.%s.%d@%s", strings.ToLower(given), strings.ToLower(family), i, e.opts.Domain),
			GivenName:    given,
			FamilyName:   family,
			OrgUnitPath:  dep.ou,
			Department:   dep.name,
			Title:        titles[i%len(titles)],
			EmployeeID:   fmt.Sprintf("E%06d", i),
			Suspended:    i%33 == 32,
			Archived:     i%97 == 96,
		}
		if i > 0 {
			u.ManagerEmail = us[(i-1)/8].PrimaryEmail
		}
		u, err := e.AddUser(u)
		if err != nil {
			return nil, nil, err
		}
		us = append(us, u)
		if groups > 0 {
			if err := e.AddMember(gs[i%groups].ID, u.ID, RoleMember); err != nil {
				return nil, nil, err
			}
			if i%10 == 0 && groups > 1 {
				if err := e.AddMember(gs[(i+1)%groups].ID, u.ID, RoleMember); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	if groups >= 3 {
		if err := e.AddMember(gs[1].ID, gs[2].ID, RoleMember); err != nil {
			return nil, nil, err
		}
	}
	return us, gs, nil
}
