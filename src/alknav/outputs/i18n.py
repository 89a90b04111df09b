"""Interface words in English and Chinese. Clinical content is bilingual in the knowledge files;
this holds only the wording of the program itself."""

from __future__ import annotations

# Report wording (alknav.outputs.report): headings, labels, vocabulary of the case format.
_REPORT: dict[str, dict[str, str]] = {
    "en": {
        "r_title": "ALK-positive NSCLC: next-line treatment options",
        "r_subtitle": "Decision-support report for the treating physician and the tumour board",
        "r_case_id": "Case ID", "r_region": "Region (whose approvals apply)",
        "r_kb_line": "Knowledge base {version} ({date})", "r_generated": "Report generated on {date}",
        "r_no_name": "No patient name is shown; the case is identified by its ID only.",
        "r_patient": "Patient summary", "r_age": "Age", "r_age_value": "{age} years", "r_sex": "Sex",
        "r_ecog": "ECOG performance status", "r_histology": "Histology", "r_stage": "Stage",
        "r_alk_fusion": "ALK fusion", "r_alk_variant": "Fusion variant", "r_alk_method": "ALK test method",
        "r_alk_tests": "ALK tests", "r_status": "Decision point", "r_pattern": "Progression pattern",
        "r_biopsy": "Current biopsy", "r_cns": "Central nervous system", "r_comorbidities": "Comorbidities",
        "r_prior_ici": "Prior immune checkpoint inhibitor", "r_not_given": "not given",
        "r_history": "Treatment history", "r_line": "Line", "r_regimen": "Regimen",
        "r_best_response": "Best response", "r_months": "Months", "r_stopped_for": "Stopped for",
        "r_toxicity": "Toxicity", "r_history_none": "No prior systemic therapy (treatment-naive).",
        "r_alterations": "Interpreted alterations", "r_input": "As reported", "r_normalized": "Interpreted as",
        "r_kind": "Type", "r_alt_status": "Status", "r_reason_prefix": "program note",
        "r_interpretation": "Case interpretation", "r_line_now": "Treatment line",
        "r_line_first": "first line (no prior ALK TKI)", "r_line_later": "later line (after an ALK TKI)",
        "r_prior_tkis": "ALK TKIs received", "r_current_tki": "ALK TKI at progression",
        "r_clones": "ALK mutation clones", "r_curated": "curated in the knowledge base",
        "r_not_curated": "not curated in the knowledge base", "r_from": "from",
        "r_clones_distinct": "The ALK mutations were listed separately and may sit in different clones; "
                             "an ALK TKI has to cover each of them.",
        "r_mechanisms": "Other resistance mechanisms", "r_histology_now": "Histology at re-biopsy",
        "r_none": "none", "r_yes": "yes", "r_no": "no",
        "r_heatmap": "ALK mutations of this patient against each ALK TKI",
        "r_heatmap_caption": "Curated call of the knowledge base for each clone and drug; P marks a call resting "
                             "on preclinical evidence only; grey means no curated data.",
        "r_options": "Ranked treatment options",
        "r_options_note": "Options are ordered by rule weights, then evidence level; weights are not "
                          "probabilities.",
        "r_evidence_level": "Evidence level", "r_preclinical": "preclinical evidence",
        "r_availability_in": "Availability in {region}", "r_efficacy": "Expected efficacy",
        "r_rationale": "Rationale", "r_citations": "Sources", "r_clone_calls": "ALK clone calls",
        "r_no_efficacy": "No trial result is recorded for this option in this setting.",
        "r_efficacy_detail_note": "",
        "r_efficacy_figure": "Efficacy of the candidate options in their trials",
        "r_efficacy_caption": "Point estimate with its 95% confidence interval as reported by the trial; "
                              "trials differ in population and design and are not compared head to head.",
        "r_swimmer": "Treatment timeline",
        "r_swimmer_caption": "Each bar is one line of systemic therapy, in months; the end marker shows why it "
                             "stopped.",
        "r_warnings": "Warnings", "r_severity": "Severity", "r_concerns": "Concerns", "r_tests": "Suggested tests",
        "r_test": "Test", "r_why": "Why", "r_excluded": "Options excluded", "r_reasons": "Reasons",
        "r_disclaimer": "Disclaimer", "r_figures_missing": "figure not available", "r_colon": ": ",
        "src_review": "review", "src_congress_abstract": "congress abstract", "src_case_report": "case report",
        "src_label": "label", "src_registry": "registry", "src_regulator": "regulator", "src_guideline": "guideline",
        "src_preprint": "preprint", "src_news": "news", "src_web_page": "web page",
        "src_reference_data": "reference data",
        "sev_info": "information", "sev_caution": "caution", "sev_warning": "warning",
        "sev_contraindication": "contraindication",
        "sex_F": "female", "sex_M": "male", "sex_other": "other",
        "hist_adenocarcinoma": "adenocarcinoma", "hist_squamous": "squamous cell carcinoma",
        "hist_adenosquamous": "adenosquamous carcinoma", "hist_large_cell": "large cell carcinoma",
        "hist_nos": "NSCLC, not otherwise specified", "hist_sclc": "small cell transformation",
        "status_treatment_naive": "treatment-naive", "status_progression": "progression",
        "status_toxicity": "toxicity", "pattern_systemic": "systemic", "pattern_cns_only": "CNS only",
        "pattern_oligoprogression": "oligoprogression", "sample_plasma": "plasma", "sample_tissue": "tissue",
        "sample_csf": "cerebrospinal fluid",
        "cns_brain": "brain metastases", "cns_lepto": "leptomeningeal disease", "cns_symptomatic": "symptomatic",
        "cns_none": "no known CNS disease",
        "resp_CR": "complete response", "resp_PR": "partial response", "resp_SD": "stable disease",
        "resp_PD": "progressive disease", "resp_NE": "not evaluable",
        "stop_progression": "progression", "stop_toxicity": "toxicity", "stop_completed": "completed",
        "stop_other": "other", "stop_ongoing": "ongoing",
        "test_positive": "positive", "test_negative": "negative", "test_failed": "failed",
        "test_equivocal": "equivocal",
        "cat_alk_tki": "ALK TKI", "cat_alk_tki_combination": "ALK TKI combination",
        "cat_chemotherapy": "chemotherapy", "cat_chemoimmunotherapy": "chemo-immunotherapy",
        "cat_local_therapy": "local therapy", "cat_clinical_trial": "clinical trial",
        "cat_best_supportive_care": "best supportive care",
        "avail_approved": "approved", "avail_not_approved": "not approved", "avail_off_label": "off-label",
        "avail_investigational": "investigational", "avail_unknown": "approval not recorded",
        "avail_trial_only": "available only within a clinical trial", "avail_local": "local therapy",
        "avail_missing": "not recorded as approved in {region}: {drugs}",
        "avail_line_only": "approved in {region} only for {who} (off-label here): {drugs}",
        "avail_off_label_detail": "off-label in {region}: {reasons}",
        "avail_combination": "no label in the knowledge base indicates these drugs together ({drugs})",
        "avail_excludes_alk": "the label there indicates these drugs together only for tumours with no EGFR or ALK "
                              "aberrations, and this tumour is ALK-positive",
        "indication_alt_MET exon 14 skipping": "MET exon 14 skipping", "indication_alt_BRAF p.V600E": "BRAF V600E",
        "avail_indication": "{drug} is approved in {region} only for tumours with {alterations}, which this tumour "
                            "is not reported to have",
        "avail_line_first": "patients not previously treated with an ALK inhibitor",
        "avail_line_later": "patients previously treated with an ALK inhibitor",
        "kind_alk_kinase_domain_mutation": "ALK kinase-domain mutation",
        "kind_alk_compound_mutation": "ALK compound mutation", "kind_alk_mutations_unphased": "ALK mutations",
        "kind_alk_amplification": "ALK amplification", "kind_alk_fusion": "ALK fusion",
        "kind_bypass_amplification": "bypass amplification", "kind_bypass_mutation": "bypass mutation",
        "kind_bypass_fusion": "bypass fusion", "kind_other_fusion": "other fusion",
        "kind_other_mutation": "other mutation", "kind_histologic_transformation": "histologic transformation",
        "kind_unknown": "unknown",
        "ep_PFS": "median PFS", "ep_ORR": "ORR", "ep_iORR": "intracranial ORR", "ep_OS": "median OS",
        "ep_DOR": "median duration of response", "ep_DCR": "disease control rate", "ep_iPFS": "intracranial PFS",
        "unit_months": " months", "unit_percent": "%", "ci": "95% CI", "ci_nr": "NR",
        "value_not_reached": "not reached", "assessed_by": "assessed by {who}", "who_investigator": "investigator",
        "com_hyperlipidemia": "hyperlipidaemia", "com_psychiatric_disorder": "psychiatric disorder",
        "com_interstitial_lung_disease": "interstitial lung disease",
        "com_hepatic_impairment": "hepatic impairment", "com_bradycardia": "bradycardia",
        "com_qt_prolongation": "QT prolongation", "com_pregnancy": "pregnancy",
        "fig_months": "Months from the start of the first line",
        "fig_months_each": "Months on each line", "fig_line": "Line {n}",
        "fig_orr": "ORR (%)", "fig_pfs": "Median PFS (months)", "fig_iorr": "Intracranial ORR (%)",
        "fig_no_clones": "No ALK kinase-domain mutation was reported",
        "fig_no_efficacy": "No trial result is recorded for the candidate options",
        "fig_no_history": "No prior systemic therapy", "fig_preclinical": "P = preclinical evidence only",
        "fig_months_unknown": "duration not given", "fig_stop_ongoing": "ongoing",
        "s_sex_F": "woman", "s_sex_M": "man", "s_sex_other": "patient", "s_sex_none": "patient",
        "s_age_sex": "{age}-year-old {sex}", "s_nsclc": "NSCLC", "s_stage": "stage {stage}",
        "s_months": "{months} months", "s_course": "Prior: {items}", "s_now": "now {status}",
        "s_grade": "grade {grade}",
        "ro_failed": "the tumour progressed on it; no curated call says the mutations found re-sensitise it",
        "ro_resistant": "called resistant for {clones}",
        "tr_noted": "noted", "tr_score": "score {score}", "tr_exclude": "excludes the option",
        "tr_consider": "adds to the options: {regimens}", "tr_warning": "adds a warning", "tr_test": "suggests a test",
        "r_answer": "Recommendation", "r_recommended": "Recommended option",
        "r_act_pdf": "Download PDF", "r_act_this_lang": "English", "r_act_edit": "Back to the form (input kept)",
        "r_act_sections": "Sections of the report",
        "r_alternatives": "Alternatives", "r_other_options": "Other options considered",
        "r_ruled_out": "Options not advised", "r_ruled_out_note": "Drugs the tumour is resistant to or "
        "progressed on, and options the patient's data contraindicate.", "r_why_not": "Why not",
        "r_details": "Case details", "r_figures": "Figures", "r_trace": "Appendix: every rule that fired",
        "r_rule": "Rule", "r_applies_to": "Applied to", "r_effect": "Effect", "r_sources": "Sources",
        "r_rank": "Rank", "r_tied": "tied with the option above", "src_article": "article",
        "r_summary": "Patient", "r_period": ".", "r_dash": " — ", "region_CN": "China", "region_US": "the US",
        "region_EU": "the EU",
        "region_JP": "Japan",
        "regname_CN": "China", "regname_US": "United States", "regname_EU": "European Union", "regname_JP": "Japan",
        "r_option": "Option", "r_category": "Category",
        "s_comorbidities": "comorbidities", "r_no_option": "No option could be ranked for this case.",
    },
    "zh": {
        "r_title": "ALK阳性非小细胞肺癌：后续治疗选项",
        "r_subtitle": "供主治医师及多学科肿瘤委员会参考的决策支持报告",
        "r_case_id": "病例编号", "r_region": "地区（适用的药品批准）",
        "r_kb_line": "知识库版本 {version}（{date}）", "r_generated": "报告生成日期：{date}",
        "r_no_name": "本报告不显示患者姓名，仅以病例编号标识。",
        "r_patient": "患者概况", "r_age": "年龄", "r_age_value": "{age}岁", "r_sex": "性别",
        "r_ecog": "ECOG体能状态评分", "r_histology": "组织学类型", "r_stage": "分期",
        "r_alk_fusion": "ALK融合", "r_alk_variant": "融合变体", "r_alk_method": "ALK检测方法",
        "r_alk_tests": "ALK检测记录", "r_status": "当前决策节点", "r_pattern": "进展模式",
        "r_biopsy": "本次活检", "r_cns": "中枢神经系统", "r_comorbidities": "合并症",
        "r_prior_ici": "既往免疫检查点抑制剂", "r_not_given": "未提供",
        "r_history": "治疗史", "r_line": "线数", "r_regimen": "方案",
        "r_best_response": "最佳疗效", "r_months": "用药时长（月）", "r_stopped_for": "停药原因",
        "r_toxicity": "毒性", "r_history_none": "既往未接受系统治疗（初治）。",
        "r_alterations": "分子改变解读", "r_input": "报告原文", "r_normalized": "解读为",
        "r_kind": "类型", "r_alt_status": "状态", "r_reason_prefix": "程序说明（英文原文）",
        "r_interpretation": "病例解读", "r_line_now": "治疗线",
        "r_line_first": "一线（既往未用ALK-TKI）", "r_line_later": "后线（既往已用ALK-TKI）",
        "r_prior_tkis": "已用过的ALK-TKI", "r_current_tki": "进展时所用ALK-TKI",
        "r_clones": "ALK突变克隆", "r_curated": "知识库已整理",
        "r_not_curated": "知识库未整理", "r_from": "来源",
        "r_clones_distinct": "这些ALK突变为分别列出，可能位于不同克隆；所选ALK-TKI需覆盖每一个克隆。",
        "r_mechanisms": "其他耐药机制", "r_histology_now": "再活检组织学",
        "r_none": "无", "r_yes": "是", "r_no": "否",
        "r_heatmap": "本例ALK突变对各ALK-TKI的敏感性",
        "r_heatmap_caption": "每个克隆对每种药物的知识库判定；P 表示该判定仅基于临床前证据；灰色表示无已整理的数据。",
        "r_options": "治疗选项排序",
        "r_options_note": "选项按规则权重排序，其次按证据等级；权重不代表概率。",
        "r_evidence_level": "证据等级", "r_preclinical": "临床前证据",
        "r_availability_in": "在{region}的可及性", "r_efficacy": "预期疗效",
        "r_rationale": "理由", "r_citations": "文献来源", "r_clone_calls": "ALK克隆判定",
        "r_no_efficacy": "知识库中无该方案在此情境下的试验结果。",
        "r_efficacy_detail_note": "部分疗效数据附有仅以英文记录的补充说明（如评估方式、随访时间），"
                                  "请参阅英文版报告或原始文献。",
        "r_efficacy_figure": "候选方案在相应试验中的疗效",
        "r_efficacy_caption": "点估计及试验报告的95%置信区间；各试验的人群和设计不同，不能直接相互比较。",
        "r_swimmer": "治疗时间线",
        "r_swimmer_caption": "每一条代表一线系统治疗（以月计）；末端标记表示停药原因。",
        "r_warnings": "警示", "r_severity": "级别", "r_concerns": "涉及", "r_tests": "建议检测",
        "r_test": "检测", "r_why": "理由", "r_excluded": "已排除的方案", "r_reasons": "原因",
        "r_disclaimer": "免责声明", "r_figures_missing": "图表不可用", "r_colon": "：",
        "src_review": "综述", "src_congress_abstract": "会议摘要", "src_case_report": "病例报告",
        "src_label": "说明书", "src_registry": "注册记录", "src_regulator": "监管机构", "src_guideline": "指南",
        "src_preprint": "预印本", "src_news": "新闻", "src_web_page": "网页", "src_reference_data": "参考数据",
        "sev_info": "提示", "sev_caution": "注意", "sev_warning": "警告", "sev_contraindication": "禁忌",
        "sex_F": "女", "sex_M": "男", "sex_other": "其他",
        "hist_adenocarcinoma": "腺癌", "hist_squamous": "鳞状细胞癌", "hist_adenosquamous": "腺鳞癌",
        "hist_large_cell": "大细胞癌", "hist_nos": "非小细胞肺癌（未特指）", "hist_sclc": "小细胞转化",
        "status_treatment_naive": "初治", "status_progression": "疾病进展", "status_toxicity": "不良反应",
        "pattern_systemic": "全身进展", "pattern_cns_only": "仅中枢神经系统进展",
        "pattern_oligoprogression": "寡进展", "sample_plasma": "血浆", "sample_tissue": "组织",
        "sample_csf": "脑脊液",
        "cns_brain": "脑转移", "cns_lepto": "软脑膜转移", "cns_symptomatic": "有症状",
        "cns_none": "无已知中枢神经系统病灶",
        "resp_CR": "完全缓解", "resp_PR": "部分缓解", "resp_SD": "疾病稳定", "resp_PD": "疾病进展",
        "resp_NE": "无法评估",
        "stop_progression": "疾病进展", "stop_toxicity": "不良反应", "stop_completed": "疗程完成",
        "stop_other": "其他", "stop_ongoing": "仍在用药",
        "test_positive": "阳性", "test_negative": "阴性", "test_failed": "检测失败", "test_equivocal": "不确定",
        "cat_alk_tki": "ALK-TKI", "cat_alk_tki_combination": "ALK-TKI联合治疗", "cat_chemotherapy": "化疗",
        "cat_chemoimmunotherapy": "化疗联合免疫治疗", "cat_local_therapy": "局部治疗",
        "cat_clinical_trial": "临床试验", "cat_best_supportive_care": "最佳支持治疗",
        "avail_approved": "已获批", "avail_not_approved": "未获批", "avail_off_label": "超说明书用药",
        "avail_investigational": "在研",
        "avail_unknown": "未记录获批信息", "avail_trial_only": "仅可在临床试验中使用", "avail_local": "局部治疗",
        "avail_missing": "未记录在{region}获批：{drugs}",
        "avail_line_only": "在{region}仅获批用于{who}（此处属超说明书用药）：{drugs}",
        "avail_off_label_detail": "在{region}属超说明书用药：{reasons}",
        "avail_combination": "知识库中没有说明书将{drugs}联合使用列为适应症",
        "avail_excludes_alk": "当地说明书仅将这些药物联合用于无EGFR或ALK基因改变的肿瘤，而本例为ALK阳性",
        "indication_alt_MET exon 14 skipping": "MET 14号外显子跳跃突变",
        "indication_alt_BRAF p.V600E": "BRAF V600E突变",
        "avail_indication": "{drug}在{region}仅获批用于携带{alterations}的肿瘤，而本例未报告该改变",
        "avail_line_first": "既往未接受过ALK抑制剂治疗的患者",
        "avail_line_later": "既往接受过ALK抑制剂治疗的患者",
        "kind_alk_kinase_domain_mutation": "ALK激酶区突变", "kind_alk_compound_mutation": "ALK复合突变",
        "kind_alk_mutations_unphased": "ALK突变", "kind_alk_amplification": "ALK扩增", "kind_alk_fusion": "ALK融合",
        "kind_bypass_amplification": "旁路扩增", "kind_bypass_mutation": "旁路突变", "kind_bypass_fusion": "旁路融合",
        "kind_other_fusion": "其他融合", "kind_other_mutation": "其他突变",
        "kind_histologic_transformation": "组织学转化", "kind_unknown": "未知",
        "ep_PFS": "中位无进展生存期", "ep_ORR": "客观缓解率", "ep_iORR": "颅内客观缓解率", "ep_OS": "中位总生存期",
        "ep_DOR": "中位缓解持续时间", "ep_DCR": "疾病控制率", "ep_iPFS": "颅内无进展生存期",
        "unit_months": "个月", "unit_percent": "%", "ci": "95%置信区间", "ci_nr": "未达到",
        "value_not_reached": "未达到", "assessed_by": "{who}评估", "who_investigator": "研究者",
        "com_hyperlipidemia": "高脂血症", "com_psychiatric_disorder": "精神疾病",
        "com_interstitial_lung_disease": "间质性肺病",
        "com_hepatic_impairment": "肝功能不全", "com_bradycardia": "心动过缓", "com_qt_prolongation": "QT间期延长",
        "com_pregnancy": "妊娠",
        "fig_months": "自一线治疗开始的月数", "fig_months_each": "每线治疗的月数", "fig_line": "第{n}线",
        "fig_orr": "客观缓解率（%）", "fig_pfs": "中位无进展生存期（月）", "fig_iorr": "颅内客观缓解率（%）",
        "fig_no_clones": "未报告ALK激酶区突变", "fig_no_efficacy": "候选方案均无已记录的试验结果",
        "fig_no_history": "既往未接受系统治疗", "fig_preclinical": "P = 仅有临床前证据",
        "fig_months_unknown": "时长未提供", "fig_stop_ongoing": "仍在用药",
        "s_sex_F": "女性", "s_sex_M": "男性", "s_sex_other": "患者", "s_sex_none": "患者",
        "s_age_sex": "{age}岁{sex}", "s_nsclc": "非小细胞肺癌", "s_stage": "{stage}期",
        "s_months": "{months}个月", "s_course": "既往：{items}", "s_now": "目前{status}",
        "s_grade": "{grade}级",
        "ro_failed": "曾在该药治疗中进展；知识库无已整理的判定表明所检出突变可使其恢复敏感",
        "ro_resistant": "{clones}对其耐药",
        "tr_noted": "已记录", "tr_score": "评分 {score}", "tr_exclude": "排除该选项",
        "tr_consider": "增加选项：{regimens}", "tr_warning": "添加警示", "tr_test": "建议检测",
        "r_answer": "推荐意见", "r_recommended": "推荐方案",
        "r_act_pdf": "下载 PDF", "r_act_this_lang": "中文", "r_act_edit": "返回表单（保留已录入内容）",
        "r_act_sections": "报告各部分",
        "r_alternatives": "备选方案", "r_other_options": "其他已考虑的方案",
        "r_ruled_out": "不建议的方案",
        "r_ruled_out_note": "肿瘤对其耐药或曾在其治疗中进展的药物，以及患者情况禁用的方案。",
        "r_why_not": "原因",
        "r_details": "病例详情", "r_figures": "图表", "r_trace": "附录：触发的全部规则",
        "r_rule": "规则", "r_applies_to": "作用对象", "r_effect": "作用", "r_sources": "参考文献",
        "r_rank": "排序", "r_tied": "与上一选项并列", "src_article": "期刊论文",
        "r_summary": "患者", "r_period": "。", "r_dash": "：",
        "region_CN": "中国", "region_US": "美国", "region_EU": "欧盟", "region_JP": "日本",
        "regname_CN": "中国", "regname_US": "美国", "regname_EU": "欧盟", "regname_JP": "日本", "r_option": "方案",
        "r_category": "类别",
        "s_comorbidities": "合并症", "r_no_option": "本病例无可排序的方案。",
    },
}

# The simulator section of the report (alknav report --simulate); off by default.
_REPORT["en"].update({
    "r_sim_title": "Sequencing simulation",
    "r_sim_label": "HYPOTHESIS-GENERATING simulation: not a prediction for this patient and no substitute "
                   "for trials. An evolution-based schedule that looked better in models failed in its trial.",
    "r_sim_intro": "{patients} virtual patients (seed {seed}) received this patient's earlier treatment "
                   "({history}); the {entered} who progressed on it and started a next line are compared "
                   "from the start of that line.",
    "r_sim_intro_naive": "{patients} virtual treatment-naive patients (seed {seed}) are compared from the start "
                         "of first-line therapy.",
    "r_sim_bm": "Only virtual patients with brain metastases by then are counted, as this patient has them; "
                "nothing else about the patient is matched.",
    "r_sim_unmatched": "The virtual patients' resistance mutations are drawn by the model, not taken from this "
                       "patient's tests; the alknav-guided strategy answers each virtual patient's simulated "
                       "re-biopsy.",
    "r_sim_units": "Medians in months (95% bootstrap interval); NR: not reached; —: the strategy has no such line; "
                   "0: the next line itself contains chemotherapy.",
    "r_sim_agent_chemotherapy": "chemotherapy", "r_sim_agent_met_inhibitor": "MET inhibitor",
    "r_sim_strategy": "Strategy", "r_sim_pfs": "PFS on the next line",
    "r_sim_pfs2": "PFS2 (to progression on the line after)", "r_sim_ttc": "Time to chemotherapy",
    "r_sim_guided": "alknav-guided: the engine chooses each line from a simulated re-biopsy",
    "r_sim_choices": "its choices at the next line", "r_sim_nr": "NR",
    "r_sim_fig_pfs": "Kaplan–Meier curves of progression-free survival on the next line",
    "r_sim_fig_pfs2": "Kaplan–Meier curves of PFS2",
    "r_sim_caption": "Dashed line: alknav-guided. Strategies that start with the same line share one next-line "
                     "curve (the later one is drawn on top). Curves are from virtual patients; follow-up shown to "
                     "60 months.",
    "r_sim_x": "months from the start of the next line", "r_sim_y": "probability progression-free",
    "r_sim_unavailable": "The simulator cannot model this history: it has no parameters for {regimen}.",
    "r_sim_limits": "The model reproduces the first-line trial medians and, by fitting, lorlatinib and "
                    "chemotherapy after second-generation ALK TKIs; several held-out trials are not reproduced, "
                    "among them brigatinib after another ALK TKI and early PFS on lorlatinib (docs/simulator.md).",
})
_REPORT["zh"].update({
    "r_sim_title": "治疗序列模拟",
    "r_sim_label": "仅供提出假设的模拟：不是对本患者的预测，不能替代临床试验。曾有在模型中看似更优的"
                   "基于进化的给药方案在临床试验中失败。",
    "r_sim_intro": "{patients} 名虚拟患者（随机种子 {seed}）接受了与本患者相同的既往治疗（{history}）；"
                   "其中在该治疗上进展并开始下一线治疗的 {entered} 名，从下一线开始时进行比较。",
    "r_sim_intro_naive": "{patients} 名初治虚拟患者（随机种子 {seed}）从一线治疗开始时进行比较。",
    "r_sim_bm": "因本患者有脑转移，仅统计届时有脑转移的虚拟患者；患者的其他特征未做匹配。",
    "r_sim_unmatched": "虚拟患者的耐药突变由模型生成，并非取自本患者的检测结果；"
                       "alknav 引导策略针对每名虚拟患者的模拟再活检作答。",
    "r_sim_agent_chemotherapy": "化疗", "r_sim_agent_met_inhibitor": "MET 抑制剂",
    "r_sim_strategy": "策略", "r_sim_pfs": "下一线无进展生存期",
    "r_sim_pfs2": "PFS2（至再下一线进展）", "r_sim_ttc": "至化疗时间",
    "r_sim_units": "中位数，单位为月（95% 自助法区间）；未达到：中位数未达到；—：该策略无此线治疗；"
                   "0：下一线本身含化疗。",
    "r_sim_guided": "alknav 引导：每一线由引擎根据模拟的再活检选择",
    "r_sim_choices": "其下一线的选择", "r_sim_nr": "未达到",
    "r_sim_fig_pfs": "下一线无进展生存期的 Kaplan–Meier 曲线",
    "r_sim_fig_pfs2": "PFS2 的 Kaplan–Meier 曲线",
    "r_sim_caption": "虚线：alknav 引导。下一线相同的策略共用一条下一线曲线（后绘制者在上层）。"
                     "曲线来自虚拟患者；显示至 60 个月。",
    "r_sim_x": "自下一线开始的月数", "r_sim_y": "无进展概率",
    "r_sim_unavailable": "模拟器无法模拟该治疗史：缺少 {regimen} 的参数。",
    "r_sim_limits": "该模型可重现一线试验的中位数，并经拟合重现二代 ALK-TKI 后的洛拉替尼和化疗；"
                    "数项留出验证试验未能重现，包括其他 ALK-TKI 后的布格替尼及洛拉替尼的早期 PFS"
                    "（见 docs/simulator.md）。",
})


_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "monitoring_why": "before and during {drug} (label): {schedule}",
        "trial_option": "Clinical trial: {drug}", "regimen_plus": "{regimen} + {drug}",
        "adm_interaction_text": "{drug}: {message} ({medicines}: {cls})",
        "adm_regimen_interaction_text": "{drug}: {message} ({partner}, given with it in this option, is a {cls} "
                                        "by its own label)", "adm_drug_text": "{drug}: {message}",
        "adm_interaction_switch_text": "{interaction}. Replace it first ({substitutes}), then wait as the label says "
                                       "before starting; if it cannot be replaced, this option is not possible",
        "adm_interaction_switch_avoid_text": "{interaction}. Replace it first where possible ({substitutes}); if it "
                                             "cannot be replaced, follow the label's advice above",
        "adm_toxicity_text": "{drug}: {message} ({toxicity})", "adm_then_levels": "{message} — {levels}",
        "unrecognized_item": "'{input}' ({reason})", "level_n": "level {level}",
        "weak_call": "inferred (seed review only, computation or extrapolation), counted as no data",
        "how_to_give": "How to give it safely (labels)", "adm_dose": "Dose",
        "adm_dose_other_region": "Dose elsewhere", "adm_dose_levels": "Dose reduction",
        "adm_interaction": "Interaction", "adm_population": "Special population", "adm_toxicity": "After toxicity",
        "adm_monitoring": "Monitor",
        "disclaimer": "alknav is decision support. It summarises cited evidence to support, not replace, the "
                      "judgement of the treating physician and the tumour board.",
        "call_fact": "{clone} with {drug}: {call} ({detail})",
        "sensitive": "sensitive", "intermediate": "intermediate", "resistant": "resistant", "unknown": "unknown",
        "no_data": "no curated data", "no_rationale": "Considered by default; no rule scored it.",
        "options": "Options", "warnings": "Warnings", "tests": "Suggested tests", "alterations": "Alterations",
        "rank": "rank", "option": "option", "category": "category", "evidence": "evidence", "why": "why",
        "availability": "availability", "efficacy": "expected efficacy", "recognized": "recognised",
        "not_recognized": "NOT recognised", "excluded": "Excluded", "trace": "Rules that fired",
        "interpretation": "Interpretation", "knowledge": "knowledge base", "case": "case",
        "unmapped": "Not used from the input file (no mapping to the case format): {items}",
        "region": "region", "evidence_level": "evidence {level}", "in_region": "{status} in {region}",
        "sources": "sources", "col_input": "input", "col_normalized": "normalized", "col_kind": "kind",
        "col_recognized": "recognised", "yes": "yes", "no": "no", "months": "mo",
        "approved": "approved", "not_approved": "not approved", "off_label": "off-label",
        "investigational": "investigational",
        "unknown_status": "approval not recorded",
        "ev_clinical": "clinical", "ev_preclinical": "preclinical", "ev_computational": "computational",
        "level_word": "level", "ic50_vs": "IC50 {ic50} nM vs {wt} nM non-mutant", "ic50": "IC50 {ic50} nM",
        "sentence_end": ". ", "tie": "tied with the option above",
        "col_severity": "severity", "col_message": "message", "col_test": "test",
        **_REPORT["en"],
    },
    "zh": {
        "monitoring_why": "{drug}用药前及用药期间（说明书）：{schedule}",
        "trial_option": "临床试验：{drug}", "regimen_plus": "{regimen} + {drug}",
        "adm_interaction_text": "{drug}：{message}（{medicines}：{cls}）",
        "adm_regimen_interaction_text": "{drug}：{message}（本方案同时使用的{partner}据其说明书为{cls}）",
        "adm_drug_text": "{drug}：{message}",
        "adm_interaction_switch_text": "{interaction}。须先换药（{substitutes}），并按说明书要求间隔后再开始；"
                                       "如无法换药，则不能选择此方案",
        "adm_interaction_switch_avoid_text": "{interaction}。如可能先换药（{substitutes}）；"
                                             "如无法换药，按上述说明书建议处理",
        "adm_toxicity_text": "{drug}：{message}（{toxicity}）", "adm_then_levels": "{message}；{levels}",
        "unrecognized_item": "“{input}”（原因见该分子改变的说明）", "level_n": "等级 {level}",
        "weak_call": "推断所得（仅综述、计算模拟或外推），按无数据处理",
        "how_to_give": "安全用药要点（说明书）", "adm_dose": "剂量", "adm_dose_other_region": "其他地区剂量",
        "adm_dose_levels": "减量", "adm_interaction": "相互作用", "adm_population": "特殊人群",
        "adm_toxicity": "毒性后再用药", "adm_monitoring": "监测",
        "disclaimer": "alknav 为临床决策支持工具，汇总有引文依据的证据，"
                      "用于辅助而非取代主治医师及多学科肿瘤委员会的临床判断。",
        "call_fact": "{clone} 对 {drug}：{call}（{detail}）",
        "sensitive": "敏感", "intermediate": "中度敏感", "resistant": "耐药", "unknown": "未知",
        "no_data": "无已整理的数据", "no_rationale": "默认纳入考虑；无规则为其加分。",
        "options": "治疗选项", "warnings": "警示", "tests": "建议检测", "alterations": "分子改变",
        "rank": "排序", "option": "方案", "category": "类别", "evidence": "证据", "why": "理由",
        "availability": "可及性", "efficacy": "预期疗效", "recognized": "已识别",
        "not_recognized": "未识别", "excluded": "已排除", "trace": "触发的规则",
        "interpretation": "解读", "knowledge": "知识库", "case": "病例",
        "unmapped": "输入文件中以下内容未被使用（无法映射到病例格式）：{items}",
        "region": "地区", "evidence_level": "证据等级 {level}", "in_region": "在{region}：{status}",
        "sources": "来源", "col_input": "输入", "col_normalized": "标准化", "col_kind": "类型",
        "col_recognized": "已识别", "yes": "是", "no": "否", "months": "个月",
        "approved": "已获批", "not_approved": "未获批", "off_label": "超说明书用药", "investigational": "在研",
        "unknown_status": "未记录获批信息",
        "ev_clinical": "临床", "ev_preclinical": "临床前", "ev_computational": "计算/推断",
        "level_word": "等级", "ic50_vs": "IC50 {ic50} nM（非突变型 {wt} nM）", "ic50": "IC50 {ic50} nM",
        "sentence_end": "。", "tie": "与上一选项并列",
        "col_severity": "级别", "col_message": "内容", "col_test": "检测",
        **_REPORT["zh"],
    },
}


def t(lang: str, key: str, **values: str) -> str:
    table = _TEXT.get(lang, _TEXT["en"])
    text = table.get(key, _TEXT["en"].get(key, key))
    return text.format(**values) if values else text


def disclaimer(lang: str) -> str:
    return t(lang, "disclaimer")


def term(lang: str, prefix: str, value: str) -> str:
    """A vocabulary word (e.g. term('zh', 'sex', 'F') -> '女'); the value itself when it has no entry."""
    key = f"{prefix}_{value}"
    table = _TEXT.get(lang, _TEXT["en"])
    return table.get(key, _TEXT["en"].get(key, value))


# Refusals of a case (CaseError.key): the English repeats the sentence the error carries (CLI, API);
# the Chinese is what a Chinese page shows. Values are filled literally ({name}).
_CASE_ERRORS: dict[str, dict[str, str]] = {
    "en": {
        "not_mapping": "{source}: a case must be a mapping of fields (got {type})",
        "too_deep": "{source}: nested too deeply to be a case",
        "text_too_long": "{length} characters; at most {cap} characters are read here",
        "number_too_long": "a number of {length} digits; at most {cap} characters are read here",
        "key_too_long": "a field name of {length} characters; at most {cap}",
        "unmapped_not_list": "must be a list of texts (what an input conversion could not use)",
        "file_empty": "{source}: the file is empty",
        "file_refused": "{source}: refused: {reason}",
        "invalid_json": "{source}: invalid JSON at line {line}: {problem}",
        "invalid_yaml": "{source}: invalid YAML at line {line}: {problem}",
        "unreadable_value": "{source}: unreadable value: {problem}",
        "not_utf8": "{source}: not UTF-8 text",
        "no_sample": "{source}: no sample with a readable alteration",
        "alk_negative": "'{fusion}' says the tumour is ALK-negative; alknav answers only for ALK-positive NSCLC",
        "no_alk": "no ALK rearrangement: give diagnosis.alk.fusion or a positive ALK test",
        "alk_tests_negative": "every ALK test listed is negative (or failed): the tumour is not shown to be "
                              "ALK-positive; repeat testing (RNA NGS or IHC) first",
        "alk_dna_only": "a DNA-level ALK rearrangement with negative RNA and/or IHC testing makes no fusion "
                        "transcript or protein: this is not ALK-positive disease for treatment; confirm with RNA "
                        "NGS and ALK IHC",
        "age_implausible": "age {age} is not plausible for non-small cell lung cancer treated with these drugs "
                           "(their labels are for adults); check the age",
        "pregnancy_male": "pregnancy is recorded for a male patient; check sex and pregnancy",
        "pregnancy_age": "pregnancy at age {age} is not plausible; check age and pregnancy",
        "months_implausible": "{months} months (over 30 years) on one regimen is not plausible; check the duration",
        "months_lifetime": "the treatments add up to {months} months, longer than the patient's life since "
                           "childhood (age {age}); check months and age",
        "naive_with_history": "current.status is treatment_naive but history lists prior therapy",
        "status_without_history": "current.status is {status} but history is empty (no prior therapy)",
        "ongoing_not_last": "only the last regimen can be ongoing",
        "unknown_drug": "unknown drug '{name}'",
        "unknown_drug_hint": "unknown drug '{name}'; did you mean {hint}?",
        "two_tkis": "{names} in one regimen: two ALK TKIs are never given together; list them as separate lines",
        "longer_than_drug": "{months} months on {drug} is longer than the drug has existed (first approved "
                            "{first}); check the duration",
        "phenopacket_invalid": "{source}: not a valid Phenopacket v2: {detail}",
        "deceased": "{source}: the subject is recorded as deceased; there is no next treatment to recommend",
        "phenopacket_no_alk": "{source}: the phenopacket names no ALK fusion or rearrangement",
    },
    "zh": {
        "not_mapping": "{source}：病例须为字段映射（收到的是 {type}）",
        "too_deep": "{source}：嵌套层级过深，不是有效的病例",
        "text_too_long": "内容长 {length} 个字符；此处最多读取 {cap} 个字符",
        "number_too_long": "数字长 {length} 位；此处最多读取 {cap} 个字符",
        "key_too_long": "字段名长 {length} 个字符；最多 {cap} 个",
        "unmapped_not_list": "须为文本列表（输入转换中无法使用的内容）",
        "file_empty": "{source}：文件为空",
        "file_refused": "{source}：拒绝读取：{reason}",
        "invalid_json": "{source}：第 {line} 行 JSON 格式错误：{problem}",
        "invalid_yaml": "{source}：第 {line} 行 YAML 格式错误：{problem}",
        "unreadable_value": "{source}：无法读取的取值：{problem}",
        "not_utf8": "{source}：不是 UTF-8 文本",
        "no_sample": "{source}：没有含可读分子改变的样本",
        "alk_negative": "“{fusion}”表示肿瘤为 ALK 阴性；alknav 仅适用于 ALK 阳性非小细胞肺癌",
        "no_alk": "未提供 ALK 重排：请填写 ALK 融合，或给出阳性的 ALK 检测结果",
        "alk_tests_negative": "所列 ALK 检测均为阴性（或失败）：未证实肿瘤为 ALK 阳性；请先重复检测（RNA NGS 或 IHC）",
        "alk_dna_only": "DNA 水平检出 ALK 重排但 RNA 和/或 IHC 检测阴性，提示未产生融合转录本或蛋白：就治疗而言不属于 "
                        "ALK 阳性疾病；请以 RNA NGS 和 ALK IHC 确认",
        "age_implausible": "年龄 {age} 岁对使用这些药物治疗的非小细胞肺癌不合理（其说明书适用于成人）；请核对年龄",
        "pregnancy_male": "男性患者记录了妊娠；请核对性别与妊娠信息",
        "pregnancy_age": "{age} 岁妊娠不合理；请核对年龄与妊娠信息",
        "months_implausible": "单一方案用药 {months} 个月（超过 30 年）不合理；请核对用药时长",
        "months_lifetime": "各线治疗合计 {months} 个月，超过患者自童年以来的时间（年龄 {age} 岁）；"
                           "请核对用药时长与年龄",
        "naive_with_history": "当前状态为初治，但既往治疗中列有全身治疗",
        "status_without_history": "当前状态为“{status}”，但未填写任何既往治疗",
        "ongoing_not_last": "只有最后一线方案可以是“仍在用药”",
        "unknown_drug": "知识库中没有药物“{name}”",
        "unknown_drug_hint": "知识库中没有药物“{name}”；是否指 {hint}？",
        "two_tkis": "同一方案中含{names_zh}：两种 ALK-TKI 从不联合使用；请分行填写",
        "longer_than_drug": "{drug_zh}用药 {months} 个月，长于该药问世以来的时间（首次获批 {first}）；请核对用药时长",
        "phenopacket_invalid": "{source}：不是有效的 Phenopacket v2：{detail}",
        "deceased": "{source}：受试者记录为已故；无需推荐后续治疗",
        "phenopacket_no_alk": "{source}：该 Phenopacket 未记载 ALK 融合或重排",
        "value_missing": "必填",
        "value_number": "须为数字{shown}",
        "value_bool": "须为是或否{shown}",
        "value_choice": "须为以下取值之一：{expected}{shown}",
        "value_greater_than": "须大于 {limit}{shown}",
        "value_greater_than_equal": "须大于或等于 {limit}{shown}",
        "value_less_than": "须小于 {limit}{shown}",
        "value_less_than_equal": "须小于或等于 {limit}{shown}",
        "value_too_long": "条目过多；最多 {limit} 项",
        "value_invalid": "取值无效：{detail}{shown}",
    },
}


def case_error(lang: str, key: str, args: dict[str, str], fallback: str) -> str:
    """A case refusal in ``lang``; ``fallback`` (the English the error carries) when English is asked
    for, or the key has no entry. Values are placed literally, so a brace typed by a user stays."""
    if lang == "en" or key not in _CASE_ERRORS.get(lang, {}):
        return fallback
    text = _CASE_ERRORS[lang][key]
    values = dict(args)
    if lang == "zh":
        if "status" in values:
            values["status"] = term("zh", "status", values["status"])
        if "shown" in values:
            values["shown"] = values["shown"].replace(" (got ", "（收到 ").removesuffix(")") + "）" \
                if values["shown"] else ""
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text
