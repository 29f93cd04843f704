/**
 * The demo content `npm run seed` writes: one city (Shanghai), its skills and category tree, three
 * merchants with their services, technicians, customers and the platform's staff. Everything here is
 * plain data; scripts/seed.ts turns it into rows with the Worker's own schema, cipher and H3 rules.
 *
 * Ids are fixed (`<prefix>_demo…`, letters and digits after the prefix like every id the Worker
 * makes), so running the seed again changes nothing. Phones follow the pattern documented in README.
 */
import type { CancellationPolicy, DispatchMode, Extra, PaymentOptions, PriceUnit } from "../src/domain/catalog";
import type { LatLng } from "../src/domain/geo";
import type { WeeklyShifts } from "../src/domain/shifts";

export const CITY = {
  id: "cty_demoShanghai",
  name: "上海",
  timeZone: "Asia/Shanghai",
  center: { lat: 31.2304, lng: 121.4737 },
  radiusKm: 40,
};

/** Demo phone numbers: admin +8613800000000, operator …0001, merchant admins +86138000001NN, technicians +86139000000NN, customers +86137000000NN. */
export const PHONES = {
  admin: "+8613800000000",
  operator: "+8613800000001",
  merchantAdmin: (n: number) => `+86138000001${pad2(n)}`,
  technician: (n: number) => `+86139000000${pad2(n)}`,
  customer: (n: number) => `+86137000000${pad2(n)}`,
};

export function pad2(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 99) throw new Error(`demo number ${n} is outside 01–99`);
  return String(n).padStart(2, "0");
}

export const SKILLS: { code: string; zh: string; en: string }[] = [
  { code: "cleaning", zh: "日常保洁", en: "House cleaning" },
  { code: "deep_cleaning", zh: "深度保洁", en: "Deep cleaning" },
  { code: "appliance_repair", zh: "家电维修", en: "Appliance repair" },
  { code: "ac_repair", zh: "空调维修", en: "Air-conditioner repair" },
  { code: "plumbing", zh: "水管维修", en: "Plumbing" },
  { code: "electrical", zh: "电路维修", en: "Electrical work" },
  { code: "nursing", zh: "居家护理", en: "Home nursing" },
  { code: "elder_care", zh: "老人陪护", en: "Elder care" },
  { code: "massage", zh: "推拿按摩", en: "Massage" },
  { code: "beauty", zh: "美容护肤", en: "Beauty care" },
  { code: "manicure", zh: "美甲", en: "Manicure" },
  { code: "moving", zh: "搬家搬运", en: "Moving" },
];

export interface DemoCategory {
  id: string;
  parentId: string | null;
  zh: string;
  en: string;
  sort: number;
}

export const CATEGORIES: DemoCategory[] = [
  { id: "cat_demoCleaning", parentId: null, zh: "保洁", en: "Cleaning", sort: 10 },
  { id: "cat_demoDailyCleaning", parentId: "cat_demoCleaning", zh: "日常保洁", en: "Regular cleaning", sort: 11 },
  { id: "cat_demoDeepCleaning", parentId: "cat_demoCleaning", zh: "深度保洁", en: "Deep cleaning", sort: 12 },
  { id: "cat_demoRepair", parentId: null, zh: "维修", en: "Repair", sort: 20 },
  { id: "cat_demoApplianceRepair", parentId: "cat_demoRepair", zh: "家电维修", en: "Appliances", sort: 21 },
  { id: "cat_demoPlumbingElectrical", parentId: "cat_demoRepair", zh: "水电维修", en: "Plumbing and electrical", sort: 22 },
  { id: "cat_demoNursing", parentId: null, zh: "护理", en: "Nursing", sort: 30 },
  { id: "cat_demoHomeNursing", parentId: "cat_demoNursing", zh: "居家护理", en: "Home nursing", sort: 31 },
  { id: "cat_demoElderCare", parentId: "cat_demoNursing", zh: "老人陪护", en: "Elder care", sort: 32 },
  { id: "cat_demoBeauty", parentId: null, zh: "美容", en: "Beauty", sort: 40 },
  { id: "cat_demoMassage", parentId: "cat_demoBeauty", zh: "推拿按摩", en: "Massage", sort: 41 },
  { id: "cat_demoNails", parentId: "cat_demoBeauty", zh: "美甲", en: "Nails", sort: 42 },
  { id: "cat_demoFacial", parentId: "cat_demoBeauty", zh: "面部护理", en: "Facial care", sort: 43 },
];

const WEEKDAYS_9_TO_6: WeeklyShifts = {
  mon: [{ start: "09:00", end: "18:00" }],
  tue: [{ start: "09:00", end: "18:00" }],
  wed: [{ start: "09:00", end: "18:00" }],
  thu: [{ start: "09:00", end: "18:00" }],
  fri: [{ start: "09:00", end: "18:00" }],
  sat: [{ start: "09:00", end: "18:00" }],
  sun: [],
};

export interface DemoMerchant {
  id: string;
  name: string;
  /** null: new technicians start with the platform default (08:00–20:00 daily). */
  defaultShifts: WeeklyShifts | null;
  admin: { n: number; name: string };
}

export const MERCHANTS: DemoMerchant[] = [
  { id: "mch_demo01", name: "洁家家政 JieJia Housekeeping", defaultShifts: null, admin: { n: 1, name: "洁家店长 周敏" } },
  { id: "mch_demo02", name: "快修师傅 QuickFix Repairs", defaultShifts: WEEKDAYS_9_TO_6, admin: { n: 2, name: "快修调度 孙强" } },
  { id: "mch_demo03", name: "颐康护理美容 YiKang Care & Beauty", defaultShifts: null, admin: { n: 3, name: "颐康主管 林静" } },
];

const STANDARD: CancellationPolicy = {
  tiers: [
    { hoursBefore: 24, refundPercent: 100 },
    { hoursBefore: 2, refundPercent: 50 },
    { hoursBefore: 0, refundPercent: 0 },
  ],
  visitFee: 3000,
};
const FLEXIBLE: CancellationPolicy = {
  tiers: [
    { hoursBefore: 2, refundPercent: 100 },
    { hoursBefore: 0, refundPercent: 50 },
  ],
  visitFee: 2000,
};
const STRICT: CancellationPolicy = {
  tiers: [
    { hoursBefore: 48, refundPercent: 100 },
    { hoursBefore: 24, refundPercent: 50 },
    { hoursBefore: 0, refundPercent: 0 },
  ],
  visitFee: 5000,
};

const PAY_FULL: PaymentOptions = { full: true, depositPercent: null, afterService: false };
const PAY_FULL_OR_AFTER: PaymentOptions = { full: true, depositPercent: null, afterService: true };
const PAY_FULL_OR_DEPOSIT_30: PaymentOptions = { full: true, depositPercent: 30, afterService: false };
const PAY_DEPOSIT_50: PaymentOptions = { full: false, depositPercent: 50, afterService: false };
const PAY_AFTER: PaymentOptions = { full: false, depositPercent: null, afterService: true };

const extra = (code: string, zh: string, en: string, price: number, durationMinutes: number): Extra => ({
  code,
  name: { zh, en },
  price,
  durationMinutes,
});

export interface DemoService {
  id: string;
  /** null: run by the platform itself. */
  merchantId: string | null;
  categoryId: string;
  name: { zh: string; en: string };
  description: { zh: string; en: string };
  /** Minor units (分): base once, plus perUnit × units (at least minUnits). */
  price: { base: number; perUnit: number; unit: PriceUnit; minUnits: number };
  durationMinutes: number;
  perUnitMinutes: number;
  requiredSkills: string[];
  extras: Extra[];
  cancellationPolicy: CancellationPolicy;
  dispatchMode: DispatchMode;
  paymentOptions: PaymentOptions;
  rushFee: number;
  leadTimeMinutes: number;
  horizonDays: number;
}

export const SERVICES: DemoService[] = [
  {
    id: "svc_demoCleaning2h",
    merchantId: "mch_demo01",
    categoryId: "cat_demoDailyCleaning",
    name: { zh: "日常保洁（2小时起）", en: "Home cleaning (2 hours minimum)" },
    description: {
      zh: "客厅、卧室、厨房、卫生间的日常清洁，自带清洁工具和环保清洁剂。",
      en: "Routine cleaning of living room, bedrooms, kitchen and bathroom. Tools and eco-friendly products included.",
    },
    price: { base: 0, perUnit: 5000, unit: "hour", minUnits: 2 },
    durationMinutes: 120,
    perUnitMinutes: 60,
    requiredSkills: ["cleaning"],
    extras: [
      extra("fridge", "冰箱清洁", "Fridge cleaning", 3000, 30),
      extra("oven", "烤箱清洁", "Oven cleaning", 3000, 30),
      extra("windows_inside", "室内擦窗", "Inside windows", 4000, 45),
    ],
    cancellationPolicy: STANDARD,
    dispatchMode: "grab",
    paymentOptions: PAY_FULL_OR_AFTER,
    rushFee: 2000,
    leadTimeMinutes: 120,
    horizonDays: 14,
  },
  {
    id: "svc_demoDeepCleaning",
    merchantId: "mch_demo01",
    categoryId: "cat_demoDeepCleaning",
    name: { zh: "全屋深度保洁", en: "Whole-home deep cleaning" },
    description: {
      zh: "按面积计价，含厨房重油污、卫生间除垢、柜内擦拭。50 平方米起。",
      en: "Priced by floor area: degreasing the kitchen, descaling bathrooms, wiping inside cupboards. From 50 m².",
    },
    price: { base: 9900, perUnit: 600, unit: "m2", minUnits: 50 },
    durationMinutes: 240,
    perUnitMinutes: 2,
    requiredSkills: ["deep_cleaning"],
    extras: [extra("balcony", "阳台清洁", "Balcony", 5000, 30)],
    cancellationPolicy: STRICT,
    dispatchMode: "auto",
    paymentOptions: PAY_FULL_OR_DEPOSIT_30,
    rushFee: 0,
    leadTimeMinutes: 720,
    horizonDays: 30,
  },
  {
    id: "svc_demoMoveInCleaning",
    merchantId: "mch_demo01",
    categoryId: "cat_demoDeepCleaning",
    name: { zh: "开荒保洁（新房）", en: "Move-in cleaning for new homes" },
    description: {
      zh: "装修后首次清洁：除胶、除尘、玻璃清洁。60 平方米起。",
      en: "First clean after renovation: glue and dust removal, glass. From 60 m².",
    },
    price: { base: 0, perUnit: 1000, unit: "m2", minUnits: 60 },
    durationMinutes: 360,
    perUnitMinutes: 3,
    requiredSkills: ["deep_cleaning", "cleaning"],
    extras: [],
    cancellationPolicy: STRICT,
    dispatchMode: "manual",
    paymentOptions: PAY_DEPOSIT_50,
    rushFee: 0,
    leadTimeMinutes: 1440,
    horizonDays: 30,
  },
  {
    id: "svc_demoRangeHood",
    merchantId: "mch_demo01",
    categoryId: "cat_demoDeepCleaning",
    name: { zh: "油烟机深度清洗", en: "Range hood deep clean" },
    description: {
      zh: "拆洗油烟机叶轮、油网和油盒，高温蒸汽去油。",
      en: "Fan, filters and oil cup taken apart and steam-degreased.",
    },
    price: { base: 16900, perUnit: 0, unit: "visit", minUnits: 1 },
    durationMinutes: 90,
    perUnitMinutes: 0,
    requiredSkills: ["deep_cleaning"],
    extras: [extra("stove", "灶台清洁", "Hob cleaning", 3000, 20)],
    cancellationPolicy: STANDARD,
    dispatchMode: "grab",
    paymentOptions: PAY_FULL,
    rushFee: 2000,
    leadTimeMinutes: 120,
    horizonDays: 14,
  },
  {
    id: "svc_demoAcCleaning",
    merchantId: null,
    categoryId: "cat_demoApplianceRepair",
    name: { zh: "空调清洗（挂机）", en: "Air-conditioner cleaning (wall unit)" },
    description: {
      zh: "平台自营：拆洗滤网、蒸发器杀菌、排水管疏通。每多一台加 40 分钟。",
      en: "Run by the platform: filters, evaporator disinfection, drain line. Each extra unit adds 40 minutes.",
    },
    price: { base: 0, perUnit: 8900, unit: "visit", minUnits: 1 },
    durationMinutes: 60,
    perUnitMinutes: 40,
    requiredSkills: ["ac_repair"],
    extras: [extra("outdoor_unit", "外机清洗", "Outdoor unit", 5000, 30)],
    cancellationPolicy: FLEXIBLE,
    dispatchMode: "auto",
    paymentOptions: PAY_FULL,
    rushFee: 3000,
    leadTimeMinutes: 120,
    horizonDays: 14,
  },
  {
    id: "svc_demoAcRepair",
    merchantId: "mch_demo02",
    categoryId: "cat_demoApplianceRepair",
    name: { zh: "空调维修", en: "Air-conditioner repair" },
    description: {
      zh: "上门检测故障，含检测费；配件和加氟另行报价，客户确认后施工。",
      en: "On-site diagnosis (fee included); parts and refrigerant are quoted for your approval before work starts.",
    },
    price: { base: 5000, perUnit: 0, unit: "visit", minUnits: 1 },
    durationMinutes: 60,
    perUnitMinutes: 0,
    requiredSkills: ["ac_repair"],
    extras: [],
    cancellationPolicy: FLEXIBLE,
    dispatchMode: "auto",
    paymentOptions: PAY_FULL_OR_AFTER,
    rushFee: 3000,
    leadTimeMinutes: 60,
    horizonDays: 7,
  },
  {
    id: "svc_demoWasherRepair",
    merchantId: "mch_demo02",
    categoryId: "cat_demoApplianceRepair",
    name: { zh: "洗衣机维修", en: "Washing machine repair" },
    description: {
      zh: "不排水、不脱水、漏水、异响等故障检修，完工后付款。",
      en: "Not draining, not spinning, leaks or noises. Pay after the repair.",
    },
    price: { base: 6000, perUnit: 0, unit: "visit", minUnits: 1 },
    durationMinutes: 60,
    perUnitMinutes: 0,
    requiredSkills: ["appliance_repair"],
    extras: [],
    cancellationPolicy: FLEXIBLE,
    dispatchMode: "auto",
    paymentOptions: PAY_AFTER,
    rushFee: 2000,
    leadTimeMinutes: 60,
    horizonDays: 7,
  },
  {
    id: "svc_demoDrainUnblock",
    merchantId: "mch_demo02",
    categoryId: "cat_demoPlumbingElectrical",
    name: { zh: "管道疏通", en: "Drain unblocking" },
    description: {
      zh: "厨房、卫生间下水道及马桶疏通，机械疏通不伤管道。",
      en: "Kitchen, bathroom and toilet drains cleared mechanically without damaging pipes.",
    },
    price: { base: 12000, perUnit: 0, unit: "visit", minUnits: 1 },
    durationMinutes: 60,
    perUnitMinutes: 0,
    requiredSkills: ["plumbing"],
    extras: [extra("camera_check", "管道内窥检测", "Camera inspection", 8000, 30)],
    cancellationPolicy: FLEXIBLE,
    dispatchMode: "grab",
    paymentOptions: PAY_FULL_OR_AFTER,
    rushFee: 3000,
    leadTimeMinutes: 60,
    horizonDays: 7,
  },
  {
    id: "svc_demoTapInstall",
    merchantId: "mch_demo02",
    categoryId: "cat_demoPlumbingElectrical",
    name: { zh: "水龙头/花洒安装", en: "Tap or shower fitting" },
    description: {
      zh: "更换或安装水龙头、花洒、角阀，客户自备配件。",
      en: "Replace or fit taps, shower sets and stop valves; you provide the parts.",
    },
    price: { base: 6000, perUnit: 2000, unit: "visit", minUnits: 1 },
    durationMinutes: 45,
    perUnitMinutes: 20,
    requiredSkills: ["plumbing"],
    extras: [],
    cancellationPolicy: STANDARD,
    dispatchMode: "chosen",
    paymentOptions: PAY_FULL,
    rushFee: 0,
    leadTimeMinutes: 120,
    horizonDays: 14,
  },
  {
    id: "svc_demoElectrical",
    merchantId: "mch_demo02",
    categoryId: "cat_demoPlumbingElectrical",
    name: { zh: "电路检修（按小时）", en: "Electrical fault finding (hourly)" },
    description: {
      zh: "跳闸、插座不通电、灯具安装等，持证电工上门，按小时计费。",
      en: "Tripping breakers, dead sockets, light fitting. A licensed electrician, billed by the hour.",
    },
    price: { base: 3000, perUnit: 8000, unit: "hour", minUnits: 1 },
    durationMinutes: 60,
    perUnitMinutes: 60,
    requiredSkills: ["electrical"],
    extras: [],
    cancellationPolicy: STANDARD,
    dispatchMode: "auto",
    paymentOptions: PAY_FULL_OR_AFTER,
    rushFee: 4000,
    leadTimeMinutes: 60,
    horizonDays: 14,
  },
  {
    id: "svc_demoHomeNursing",
    merchantId: "mch_demo03",
    categoryId: "cat_demoHomeNursing",
    name: { zh: "上门护理（换药/注射）", en: "Home nursing visit (dressings, injections)" },
    description: {
      zh: "执业护士上门换药、肌肉注射、留置针护理。请备好医嘱和药品。",
      en: "A registered nurse changes dressings, gives injections or cares for a cannula. Have the prescription and medicine ready.",
    },
    price: { base: 15000, perUnit: 0, unit: "visit", minUnits: 1 },
    durationMinutes: 60,
    perUnitMinutes: 0,
    requiredSkills: ["nursing"],
    extras: [],
    cancellationPolicy: STRICT,
    dispatchMode: "manual",
    paymentOptions: PAY_FULL,
    rushFee: 5000,
    leadTimeMinutes: 240,
    horizonDays: 14,
  },
  {
    id: "svc_demoElderCare",
    merchantId: "mch_demo03",
    categoryId: "cat_demoElderCare",
    name: { zh: "老人陪护（4小时起）", en: "Elder companionship (4 hours minimum)" },
    description: {
      zh: "陪伴聊天、协助进食与活动、陪同散步。按小时计费，4 小时起。",
      en: "Company, help with meals and moving around, accompanied walks. Hourly, from 4 hours.",
    },
    price: { base: 0, perUnit: 4500, unit: "hour", minUnits: 4 },
    durationMinutes: 240,
    perUnitMinutes: 60,
    requiredSkills: ["elder_care"],
    extras: [],
    cancellationPolicy: STRICT,
    dispatchMode: "chosen",
    paymentOptions: PAY_FULL_OR_DEPOSIT_30,
    rushFee: 0,
    leadTimeMinutes: 720,
    horizonDays: 30,
  },
  {
    id: "svc_demoMassage60",
    merchantId: "mch_demo03",
    categoryId: "cat_demoMassage",
    name: { zh: "中式推拿 60 分钟", en: "Chinese massage, 60 minutes" },
    description: {
      zh: "肩颈腰背放松推拿，技师自带按摩床。",
      en: "Neck, shoulder and back massage; the therapist brings a massage table.",
    },
    price: { base: 19800, perUnit: 0, unit: "visit", minUnits: 1 },
    durationMinutes: 60,
    perUnitMinutes: 0,
    requiredSkills: ["massage"],
    extras: [extra("hot_compress", "热敷", "Hot compress", 3000, 15)],
    cancellationPolicy: STANDARD,
    dispatchMode: "chosen",
    paymentOptions: PAY_FULL,
    rushFee: 3000,
    leadTimeMinutes: 90,
    horizonDays: 14,
  },
  {
    id: "svc_demoManicure",
    merchantId: "mch_demo03",
    categoryId: "cat_demoNails",
    name: { zh: "上门美甲（纯色）", en: "Manicure at home (single colour)" },
    description: {
      zh: "修型、死皮护理、纯色甲油胶。",
      en: "Shaping, cuticle care and a single-colour gel polish.",
    },
    price: { base: 12800, perUnit: 0, unit: "visit", minUnits: 1 },
    durationMinutes: 90,
    perUnitMinutes: 0,
    requiredSkills: ["manicure"],
    extras: [extra("gel_removal", "卸甲", "Gel removal", 2000, 20), extra("nail_art", "简单彩绘", "Simple nail art", 3000, 30)],
    cancellationPolicy: STANDARD,
    dispatchMode: "grab",
    paymentOptions: PAY_FULL,
    rushFee: 0,
    leadTimeMinutes: 120,
    horizonDays: 14,
  },
  {
    id: "svc_demoFacial",
    merchantId: "mch_demo03",
    categoryId: "cat_demoFacial",
    name: { zh: "面部清洁补水护理", en: "Facial cleanse and hydration" },
    description: {
      zh: "深层清洁、去角质、补水面膜，适合各类肤质。",
      en: "Deep cleanse, exfoliation and a hydrating mask for every skin type.",
    },
    price: { base: 22800, perUnit: 0, unit: "visit", minUnits: 1 },
    durationMinutes: 75,
    perUnitMinutes: 0,
    requiredSkills: ["beauty"],
    extras: [],
    cancellationPolicy: STANDARD,
    dispatchMode: "auto",
    paymentOptions: PAY_FULL_OR_AFTER,
    rushFee: 0,
    leadTimeMinutes: 120,
    horizonDays: 14,
  },
];

/** Trades technicians are drawn from, in rotation, with the merchant they work for (null: independent). */
export const TRADES: { merchantId: string | null; skills: string[] }[] = [
  { merchantId: "mch_demo01", skills: ["cleaning"] },
  { merchantId: "mch_demo02", skills: ["appliance_repair", "ac_repair"] },
  { merchantId: "mch_demo03", skills: ["nursing", "elder_care"] },
  { merchantId: "mch_demo01", skills: ["cleaning", "deep_cleaning"] },
  { merchantId: "mch_demo02", skills: ["plumbing", "electrical"] },
  { merchantId: "mch_demo03", skills: ["massage"] },
  { merchantId: null, skills: ["ac_repair", "appliance_repair"] },
  { merchantId: "mch_demo01", skills: ["deep_cleaning", "moving"] },
  { merchantId: "mch_demo03", skills: ["beauty", "manicure"] },
  { merchantId: "mch_demo02", skills: ["plumbing"] },
  { merchantId: "mch_demo03", skills: ["elder_care"] },
  { merchantId: "mch_demo01", skills: ["cleaning", "deep_cleaning"] },
];

export const TECHNICIAN_COUNT = 60;

const SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗"];
const GIVEN = [
  "伟",
  "芳",
  "建国",
  "敏",
  "静",
  "磊",
  "秀英",
  "洋",
  "艳",
  "勇",
  "军",
  "桂兰",
  "娟",
  "涛",
  "明",
  "超",
  "丽",
  "志强",
  "红梅",
  "斌",
];

/** A deterministic Chinese full name for demo person `n`. */
export function demoName(n: number): string {
  return SURNAMES[n % SURNAMES.length]! + GIVEN[(n * 7 + Math.floor(n / SURNAMES.length)) % GIVEN.length]!;
}

/** Customers' homes: real neighbourhoods within 30 km of the city centre. */
export const CUSTOMER_HOMES: { text: string; point: LatLng }[] = [
  { text: "上海市黄浦区南京东路 299 号 12 楼 1203 室", point: { lat: 31.2381, lng: 121.4786 } },
  { text: "上海市静安区南京西路 1266 号 5 号楼 801 室", point: { lat: 31.229, lng: 121.4535 } },
  { text: "上海市徐汇区衡山路 8 弄 3 号 502 室", point: { lat: 31.2053, lng: 121.4406 } },
  { text: "上海市浦东新区陆家嘴环路 1000 号 2 号楼 1801 室", point: { lat: 31.2363, lng: 121.5032 } },
  { text: "上海市长宁区愚园路 1088 弄 12 号 301 室", point: { lat: 31.2204, lng: 121.4274 } },
  { text: "上海市虹口区四川北路 1318 号 9 楼 902 室", point: { lat: 31.2587, lng: 121.4846 } },
  { text: "上海市杨浦区国定路 400 号 6 号楼 1102 室", point: { lat: 31.299, lng: 121.5137 } },
  { text: "上海市普陀区长寿路 155 弄 7 号 1601 室", point: { lat: 31.2452, lng: 121.4455 } },
  { text: "上海市闵行区莘松路 958 弄 21 号 402 室", point: { lat: 31.111, lng: 121.385 } },
  { text: "上海市浦东新区碧波路 690 号 3 号楼 606 室", point: { lat: 31.204, lng: 121.592 } },
  { text: "上海市宝山区友谊路 1518 弄 4 号 203 室", point: { lat: 31.405, lng: 121.489 } },
  { text: "上海市浦东新区世纪大道 1568 号 28 楼 2801 室", point: { lat: 31.229, lng: 121.527 } },
  { text: "上海市徐汇区漕宝路 1033 弄 18 号 701 室", point: { lat: 31.168, lng: 121.398 } },
  { text: "上海市黄浦区马当路 388 号 15 楼 1502 室", point: { lat: 31.219, lng: 121.474 } },
  { text: "上海市静安区共和新路 3088 弄 10 号 1203 室", point: { lat: 31.28, lng: 121.458 } },
  { text: "上海市浦东新区东育路 255 弄 5 号 2201 室", point: { lat: 31.15, lng: 121.47 } },
  { text: "上海市长宁区古北路 1699 弄 8 号 1001 室", point: { lat: 31.198, lng: 121.4 } },
  { text: "上海市杨浦区杨树浦路 2300 号 11 楼 1108 室", point: { lat: 31.26, lng: 121.53 } },
  { text: "上海市嘉定区裕民南路 1255 弄 16 号 502 室", point: { lat: 31.341, lng: 121.25 } },
  { text: "上海市松江区广富林路 658 弄 33 号 101 室", point: { lat: 31.058, lng: 121.222 } },
];
