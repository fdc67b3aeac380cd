// The two renderings of the index page's Document (report_document.h): Markdown and HTML.
#pragma once

#include <string>

#include "report_document.h"

namespace cmh::plots {

/// index.md: figures linked as files; note and provenance references as plain "[3]", "P2".
std::string render_markdown(const Document& doc);

/// index.html: self-contained (each figure's PNG, read from `report_dir`, is embedded), with
/// references as links to the notes' and provenances' anchors.
std::string render_html(const Document& doc, const std::string& report_dir);

}  // namespace cmh::plots
