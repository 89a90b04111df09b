"""One-off: turn the seed review's reference list into references/seed_review.yaml.

Run once at project start; the YAML is then curated by hand (PMIDs, corrections, what was read).
Kept for transparency about where the first draft of the file came from.
"""

import re
import sys
import unicodedata
from pathlib import Path

import yaml

seed = Path(sys.argv[1]).read_text(encoding="utf-8")
text = seed[seed.index("### 参考文献"):]
text = re.sub(r"\n\s*\n\s*-\s*(?!\s*\[)(?=\S)", " ", text)  # rejoin entries broken over page breaks
entries = re.findall(r"^- \[(\d+)\] (.+?)(?=\n- \[|\n\n校稿|\Z)", text, flags=re.S | re.M)
out, seen = [], {}
for num, body in entries:
    body = " ".join(body.split())
    author = body.split(",")[0].strip()
    m = re.search(r"\]\.\s*\*?([^*]+?)\*?,\s*(\d{4})", body)
    journal, year = (m.group(1).strip(), int(m.group(2))) if m else ("?", 0)
    title = re.sub(r"^.*?et al\.\s*", "", body)
    title = re.sub(r"\s*\[J\].*$", "", title).strip()
    doi = re.search(r"DOI:\s*(10\.\S+?)\.?(\s|$)", body)
    surname = author.split()[0]
    ascii_name = unicodedata.normalize("NFKD", surname).encode("ascii", "ignore").decode().lower()
    if not ascii_name:
        ascii_name = {"张力": "zhang", "何丽媛": "he"}.get(author, "cn")
    rid = f"{ascii_name}{year}"
    seen[rid] = seen.get(rid, 0) + 1
    if seen[rid] > 1:
        rid = f"{rid}{chr(ord('a') + seen[rid] - 1)}"
    out.append({
        "id": rid, "seed_ref_no": int(num),
        "doi": doi.group(1).replace("\\_", "_") if doi else None,
        "first_author": author.title() if author.isupper() else author,
        "year": year, "journal": journal.replace("\\", ""), "title": title.replace("\\", ""),
        "kind": "article", "read": "not_read", "read_note": "as listed in the seed review",
    })
print(len(out), file=sys.stderr)
yaml.safe_dump({"references": out}, sys.stdout, allow_unicode=True, sort_keys=False, width=100)
