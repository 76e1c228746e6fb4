package intune

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/record"
)

// deviceSelect is the $select of the listing: what mapping reads.
const deviceSelect = "id,deviceName,userPrincipalName,emailAddress,operatingSystem,osVersion,complianceState," +
	"managedDeviceOwnerType,lastSyncDateTime,serialNumber,manufacturer,model,imei,wiFiMacAddress," +
	"ethernetMacAddress,azureADDeviceId,isEncrypted,deviceRegistrationState,managementAgent," +
	"totalStorageSpaceInBytes,freeStorageSpaceInBytes,physicalMemoryInBytes"

// device is one managedDevice as Graph returns it. Absent and null
// properties decode to zero values.
type device struct {
	ID                       string  `json:"id"`
	DeviceName               string  `json:"deviceName"`
	UserPrincipalName        string  `json:"userPrincipalName"`
	EmailAddress             string  `json:"emailAddress"`
	OperatingSystem          string  `json:"operatingSystem"`
	OSVersion                string  `json:"osVersion"`
	ComplianceState          string  `json:"complianceState"`
	ManagedDeviceOwnerType   string  `json:"managedDeviceOwnerType"`
	LastSyncDateTime         string  `json:"lastSyncDateTime"`
	SerialNumber             string  `json:"serialNumber"`
	Manufacturer             string  `json:"manufacturer"`
	Model                    string  `json:"model"`
	IMEI                     string  `json:"imei"`
	WiFiMacAddress           string  `json:"wiFiMacAddress"`
	EthernetMacAddress       string  `json:"ethernetMacAddress"`
	AzureADDeviceID          string  `json:"azureADDeviceId"`
	IsEncrypted              *bool   `json:"isEncrypted"`
	DeviceRegistrationState  string  `json:"deviceRegistrationState"`
	ManagementAgent          string  `json:"managementAgent"`
	TotalStorageSpaceInBytes int64   `json:"totalStorageSpaceInBytes"`
	FreeStorageSpaceInBytes  int64   `json:"freeStorageSpaceInBytes"`
	PhysicalMemoryInBytes    float64 `json:"physicalMemoryInBytes"`
}

// never is the timestamp Intune writes for "not yet".
const never = "0001-01-01T00:00:00Z"

// record maps the device to an asset record. A device whose registration
// was revoked is still listed by Intune; it comes back Disabled.
func (d *device) record() (record.Record, error) {
	if d.ID == "" {
		return record.Record{}, errors.New("a managed device without an id")
	}
	a := map[string]string{}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			a[k] = v
		}
	}
	set(record.AttrName, d.DeviceName)
	if !isMobile(d.OperatingSystem) {
		set(record.AttrHostname, d.DeviceName)
	}
	set(record.AttrSerial, d.SerialNumber)
	set(record.AttrManufacturer, d.Manufacturer)
	set(record.AttrModel, d.Model)
	a[record.AttrAssetType] = assetType(d.OperatingSystem, d.Manufacturer, d.Model)
	set(record.AttrOS, d.OperatingSystem)
	set(record.AttrOSVersion, d.OSVersion)
	var macs []string
	for _, m := range []string{d.WiFiMacAddress, d.EthernetMacAddress} {
		if m = strings.TrimSpace(m); m != "" {
			macs = append(macs, m)
		}
	}
	set(record.AttrMACs, strings.Join(macs, ","))
	set(record.AttrPrimaryUser, firstNonEmpty(d.UserPrincipalName, d.EmailAddress))
	if d.LastSyncDateTime != "" && d.LastSyncDateTime != never {
		t, err := time.Parse(time.RFC3339Nano, d.LastSyncDateTime)
		if err != nil {
			return record.Record{}, fmt.Errorf("device %s: lastSyncDateTime %q: %w", d.ID, d.LastSyncDateTime, err)
		}
		a[record.AttrLastSeen] = t.UTC().Format(time.RFC3339)
	}
	set(record.AttrCompliance, d.ComplianceState)
	set(record.AttrOwnerType, d.ManagedDeviceOwnerType)
	if d.IsEncrypted != nil {
		a[record.AttrEncrypted] = strconv.FormatBool(*d.IsEncrypted)
	}
	if d.PhysicalMemoryInBytes > 0 {
		a[record.AttrMemoryMB] = strconv.FormatInt(int64(d.PhysicalMemoryInBytes)/(1<<20), 10)
	}
	if d.TotalStorageSpaceInBytes > 0 {
		disks, err := json.Marshal([]disk{{
			Name:   "internal",
			SizeGB: gb(d.TotalStorageSpaceInBytes),
			FreeGB: gb(d.FreeStorageSpaceInBytes),
		}})
		if err != nil {
			return record.Record{}, err
		}
		a[record.AttrDisks] = string(disks)
	}
	set(record.AttrCustomPrefix+"azureADDeviceId", d.AzureADDeviceID)
	set(record.AttrCustomPrefix+"imei", d.IMEI)
	set(record.AttrCustomPrefix+"managementAgent", d.ManagementAgent)
	rec := record.Record{Kind: record.KindAsset, ID: d.ID, State: record.Present, Attrs: a}
	if strings.EqualFold(d.DeviceRegistrationState, "revoked") {
		rec.State, rec.Reason = record.Disabled, "deviceRegistrationState=revoked"
	}
	return rec, nil
}

// disk is one entry of record.AttrDisks.
type disk struct {
	Name   string  `json:"name"`
	SizeGB float64 `json:"size_gb"`
	FreeGB float64 `json:"free_gb"`
}

// gb is bytes in gigabytes (2^30), rounded to one decimal.
func gb(b int64) float64 {
	return float64(b*10/(1<<30)) / 10
}

func isMobile(os string) bool {
	switch strings.ToLower(os) {
	case "ios", "ipados", "android", "androidforwork", "androidenterprise", "windowsmobile", "windows mobile":
		return true
	}
	return false
}

// laptopWords are model names of portable computers. Intune v1.0 reports
// no chassis type, so the model name is what tells a laptop from a desktop.
var laptopWords = []string{
	"book", "laptop", "notebook", "latitude", "thinkpad", "elitebook", "probook", "zbook", "surface pro",
	"surface go", "xps", "yoga", "zenbook", "vivobook", "inspiron 14", "inspiron 15", "precision 55",
	"precision 77", "travelmate", "lifebook", "dynabook", "galaxy book",
}

var vmWords = []string{"virtual machine", "vmware", "virtualbox", "kvm", "qemu", "parallels", "hvm domu", "cloud pc"}

// assetType maps Intune's operating system and model to the platform's
// asset types: phones and tablets are mobile, hypervisor models virtual
// machines, Windows Server servers, known laptop lines laptops, and the
// other computers workstations.
func assetType(os, manufacturer, model string) string {
	if isMobile(os) {
		return "mobile"
	}
	m := strings.ToLower(manufacturer + " " + model)
	for _, w := range vmWords {
		if strings.Contains(m, w) {
			return "virtual_machine"
		}
	}
	if strings.Contains(strings.ToLower(os), "server") {
		return "server"
	}
	for _, w := range laptopWords {
		if strings.Contains(m, w) {
			return "laptop"
		}
	}
	switch strings.ToLower(os) {
	case "windows", "macos", "linux", "chromeos", "windows 10", "windows 11":
		return "workstation"
	}
	return "other"
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
