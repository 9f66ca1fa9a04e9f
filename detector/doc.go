// Package detector turns segments into scores: it gates, builds the three
// context images (context/...), asks the LVLM through detector/vqa on a
// bounded, fair worker pool and fuses the answers (method §7–§8, §10).
package detector
