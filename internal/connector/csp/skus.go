package csp

import "strings"

// skuNames are the product names of common SKUs by skuPartNumber, as
// Microsoft's "Product names and service plan identifiers for licensing"
// lists them. Config.SkuNames adds to and overrides it.
var skuNames = map[string]string{
	"AAD_PREMIUM":              "Microsoft Entra ID P1",
	"AAD_PREMIUM_P2":           "Microsoft Entra ID P2",
	"ATP_ENTERPRISE":           "Microsoft Defender for Office 365 (Plan 1)",
	"DESKLESSPACK":             "Office 365 F3",
	"EMS":                      "Enterprise Mobility + Security E3",
	"EMSPREMIUM":               "Enterprise Mobility + Security E5",
	"ENTERPRISEPACK":           "Office 365 E3",
	"ENTERPRISEPREMIUM":        "Office 365 E5",
	"EXCHANGEDESKLESS":         "Exchange Online Kiosk",
	"EXCHANGEENTERPRISE":       "Exchange Online (Plan 2)",
	"EXCHANGESTANDARD":         "Exchange Online (Plan 1)",
	"FLOW_FREE":                "Microsoft Power Automate Free",
	"INTUNE_A":                 "Microsoft Intune Plan 1",
	"MCOEV":                    "Microsoft Teams Phone Standard",
	"MCOMEETADV":               "Microsoft 365 Audio Conferencing",
	"MICROSOFT_365_COPILOT":    "Microsoft 365 Copilot",
	"O365_BUSINESS":            "Microsoft 365 Apps for business",
	"O365_BUSINESS_ESSENTIALS": "Microsoft 365 Business Basic",
	"O365_BUSINESS_PREMIUM":    "Microsoft 365 Business Standard",
	"OFFICESUBSCRIPTION":       "Microsoft 365 Apps for enterprise",
	"POWER_BI_PRO":             "Power BI Pro",
	"POWER_BI_STANDARD":        "Power BI (free)",
	"PROJECTPROFESSIONAL":      "Project Plan 3",
	"SPB":                      "Microsoft 365 Business Premium",
	"SPE_E3":                   "Microsoft 365 E3",
	"SPE_E5":                   "Microsoft 365 E5",
	"SPE_F1":                   "Microsoft 365 F3",
	"STANDARDPACK":             "Office 365 E1",
	"TEAMS_EXPLORATORY":        "Microsoft Teams Exploratory",
	"VISIOCLIENT":              "Visio Plan 2",
	"WIN_DEF_ATP":              "Microsoft Defender for Endpoint P2",
}

// skuName is the friendly name of a part number: the configured table
// first, then the built-in one, else the part number itself.
func skuName(extra map[string]string, part string) string {
	for k, v := range extra {
		if strings.EqualFold(k, part) {
			return v
		}
	}
	if n, ok := skuNames[strings.ToUpper(part)]; ok {
		return n
	}
	return part
}
